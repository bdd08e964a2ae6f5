import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../config/load.ts';
import { acceptFor } from '../../../../sinks/runtime/sink-service.ts';
import { baseDocument } from '../../config/fixtures.ts';

/** baseDocument plus logId `x` for sink `search`: `archive` owns the fallback logId `unknown`. */
function withX() {
  const doc = baseDocument();
  doc.logIds.push({ id: 'x', name: 'X', owner: 'o', importance: 'A', sinks: ['search'], dedicated: true });
  return validateConfig(doc, 'test');
}

describe('acceptFor: which records a sink takes', () => {
  const config = withX();
  const archive = acceptFor(config, { name: 'archive' });
  const search = acceptFor(config, { name: 'search' });

  it('a configured logId goes to its sinks', () => {
    expect(search('x', false)).toBe('x');
    expect(archive('x', false)).toBeUndefined();
    expect(search('payments', false)).toBe('payments');
  });

  it('an unknown logId, and a record without one, go to the owner of the fallback logId', () => {
    expect(archive('mystery', true)).toBe('mystery');
    expect(archive(undefined, false)).toBe('unknown');
    expect(search('mystery', true)).toBeUndefined();
    // Written before routers marked fallback records: judged by the config alone.
    expect(archive('mystery', false)).toBe('mystery');
  });

  it('a record written while its logId was unknown stays with the fallback owner after a reload configures it', () => {
    expect(archive('x', true)).toBe('x');
    expect(search('x', true)).toBeUndefined();
  });
});
