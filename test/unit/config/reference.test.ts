import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../../config/reference.ts';

describe('docs/config-reference.md', () => {
  it('is up to date with the schemas (run `node scripts/gen-docs.ts`)', () => {
    expect(readFileSync('docs/config-reference.md', 'utf8')).toBe(renderConfigReference());
  });
  it('documents every option with a description', () => {
    const rows = renderConfigReference()
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) expect(row.split(' | ')[4], row).not.toBe('');
  });
});
