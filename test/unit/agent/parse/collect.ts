/** Test helpers: a ParseOutput that keeps everything, a fixed stamp and clock, a seeded PRNG. */
import type { AgentLine, ParseOutput, Rejection } from '../../../../agent/parse/output.ts';
import { makeStamp } from '../../../../agent/parse/record.ts';

export const stamp = makeStamp('agent-1', { region: 'eu-west', zone: 'eu-west-1a', cluster: 'k8s-3', appId: 'shop' });
export const ORIGIN = '"origin":{"region":"eu-west","zone":"eu-west-1a","cluster":"k8s-3","appId":"shop"}';
/** 2026-01-05T12:00:00Z */
export const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
export const now = () => NOW;

export interface Collected extends ParseOutput {
  lines: AgentLine[];
  rejections: Rejection[];
  /** Accepted line texts. */
  texts(): string[];
  reasons(): string[];
}

export function collect(): Collected {
  const lines: AgentLine[] = [];
  const rejections: Rejection[] = [];
  return {
    lines,
    rejections,
    accept: (l) => lines.push(l),
    reject: (r) => rejections.push(r),
    texts: () => lines.map((l) => l.bytes.toString()),
    reasons: () => rejections.map((r) => r.reason),
  };
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `buf` at `cuts` random points. */
export function chunks(buf: Buffer, rand: () => number, cuts: number): Buffer[] {
  const points = Array.from({ length: cuts }, () => Math.floor(rand() * (buf.length + 1))).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

/**
 * Checks the accounting contract: spans are disjoint, and every byte no span covers
 * belongs to a whitespace-only line or a tolerated inter-frame newline, totalling
 * `skippedBytes`. Returns a description of the first problem, or undefined.
 */
export function accountingProblem(input: Buffer, c: Collected, skippedBytes: number): string | undefined {
  const spans = [...c.lines, ...c.rejections].map((r) => [r.offset, r.span] as const).sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let pos = 0;
  let gaps = 0;
  for (const [offset, span] of spans) {
    if (span <= 0) return `empty span at ${offset}`;
    if (offset < pos) return `overlap at ${offset}`;
    for (let i = pos; i < offset; i++) {
      const b = input[i];
      if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a && b !== 0)
        return `uncovered byte 0x${b?.toString(16)} at ${i}`;
    }
    gaps += offset - pos;
    covered += span;
    pos = offset + span;
  }
  if (pos > input.length) return `span past the end: ${pos} > ${input.length}`;
  for (let i = pos; i < input.length; i++) {
    const b = input[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a && b !== 0)
      return `uncovered byte 0x${b?.toString(16)} at ${i}`;
  }
  gaps += input.length - pos;
  if (covered + skippedBytes !== input.length) return `covered ${covered} + skipped ${skippedBytes} != ${input.length}`;
  if (gaps !== skippedBytes) return `gaps ${gaps} != skipped ${skippedBytes}`;
  return undefined;
}
