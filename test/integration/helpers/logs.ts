/** A pino logger that keeps every line it writes, parsed, for assertions on what a component said. */
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function capture(bindings: Record<string, unknown> = {}) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream).child(bindings), lines };
}
