import { describe, expect, it } from 'vitest';
import { stampBySerialising, stampOrigin, toLine } from '../../../../agent/parse/record.ts';
import { parseLine } from '../../../../router/gateway/lines.ts';
import { ORIGIN, stamp } from './collect.ts';

const b = (s: string) => Buffer.from(s);

describe('toLine', () => {
  it('writes the core fields in a fixed order, then the fields', () => {
    const line = toLine({
      time: 1_700_000_000_123,
      level: 'warn',
      logId: 'checkout',
      msg: 'say "hi"\n',
      host: 'web-1',
      origin: stamp.origin,
      fields: { reqId: 'r-1', n: 3, nested: { a: [1, null] }, gone: undefined },
    });
    expect(line.toString()).toBe(
      `{"time":1700000000123,"level":"warn","logId":"checkout","msg":"say \\"hi\\"\\n","host":"web-1",${ORIGIN},"reqId":"r-1","n":3,"nested":{"a":[1,null]}}`,
    );
    expect(parseLine(line, 1)).toMatchObject({ logId: 'checkout', level: 'warn', host: 'web-1' });
  });

  it('never lets a field shadow a core field, including __proto__ tricks', () => {
    const fields = JSON.parse('{"level":"fatal","logId":"other","origin":1,"__proto__":{"x":1},"ok":true}');
    const line = toLine({ time: 1, level: 'info', logId: 'a', msg: '', host: 'h', origin: stamp.origin, fields });
    expect(line.toString()).toBe(
      `{"time":1,"level":"info","logId":"a","msg":"","host":"h",${ORIGIN},"__proto__":{"x":1},"ok":true}`,
    );
  });
});

describe('stampOrigin', () => {
  const add = `"host":"agent-1",${ORIGIN}`;
  it.each([
    ['{"a":1}', {}, `{"a":1,"time":5,${add}}`],
    ['{}', {}, `{"time":5,${add}}`],
    ['  { }  ', {}, `  { "time":5,${add}}`],
    ['{"a":"}"} \t', {}, `{"a":"}","time":5,${add}}`],
    ['{"time":1,"host":"h"}', {}, `{"time":1,"host":"h","origin":${ORIGIN.slice(9)}}`],
    ['{"time":1,"origin":null}', {}, '{"time":1,"origin":null,"host":"agent-1"}'],
    ['{"time":1}', { logId: 'x.y', level: 'info' as const }, `{"time":1,"level":"info","logId":"x.y",${add}}`],
    ['{"ü":"é"}', {}, `{"ü":"é","time":5,${add}}`],
  ])('splices into %s', (line, values, want) => {
    const parsed = JSON.parse(line);
    const out = stampOrigin(b(line), parsed, stamp, { ...values, timeMs: 5 });
    expect(out.toString()).toBe(want);
    // The reference produces the same object, key order included.
    const ref = stampBySerialising(JSON.parse(line), stamp, { ...values, timeMs: 5 });
    expect(JSON.stringify(JSON.parse(out.toString()))).toBe(ref.toString());
  });

  it('returns the very same buffer when nothing is missing', () => {
    const line = b(`{"time":1,"host":"h",${ORIGIN},"logId":"a","level":30}`);
    expect(stampOrigin(line, JSON.parse(line.toString()), stamp, { timeMs: 5 })).toBe(line);
  });

  it('re-serialises when a present value is replaced, so no key is duplicated', () => {
    const line = '{"level":"warning","time":1,"msg":"m"}';
    const out = stampOrigin(b(line), JSON.parse(line), stamp, { level: 'warn', timeMs: 5 });
    expect(out.toString()).toBe(`{"level":"warn","time":1,"msg":"m",${add}}`);
  });
});
