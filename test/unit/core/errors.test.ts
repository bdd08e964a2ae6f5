import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSpillwayError, SpillwayError } from '../../../core/errors.ts';
import { renderErrorsDoc } from '../../../core/errors-doc.ts';

describe('errors module', () => {
  it('docs/errors.md documents every code exactly as core/errors.ts defines it (run `npm run docs`)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(renderErrorsDoc());
  });

  it('every code follows SPW_ERR_<AREA>_<WHAT> and has a one-line doc', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^SPW_ERR_[A-Z]+_[A-Z_]+$/);
      expect(spec.doc).not.toContain('\n');
      expect(spec.doc.length).toBeGreaterThan(20);
    }
  });

  it('carries code, retriable, exit status, cause and context', () => {
    const cause = new Error('socket hang up');
    const err = new SpillwayError('SPW_ERR_KAFKA_PRODUCE', 'produce failed on cluster "main"', {
      cause,
      context: { cluster: 'main', topic: 'spw.s.error.h1', partition: 2 },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('SPW_ERR_KAFKA_PRODUCE');
    expect(err.retriable).toBe(true);
    expect(err.exitCode).toBe(1);
    expect(err.cause).toBe(cause);
    expect(err.context).toEqual({ cluster: 'main', topic: 'spw.s.error.h1', partition: 2 });
    expect(isSpillwayError(err, 'SPW_ERR_KAFKA_PRODUCE')).toBe(true);
    expect(isSpillwayError(err, 'SPW_ERR_KAFKA_ADMIN')).toBe(false);
    expect(isSpillwayError(cause)).toBe(false);
    expect(new SpillwayError('SPW_ERR_CONFIG_INVALID', 'x').exitCode).toBe(2);
  });
});
