/**
 * Newline-delimited JSON from services (TCP, HTTP NDJSON bodies, files, stdin) to router
 * lines: the `json` format of line-judge.ts over a LineStream. Each line is judged alone
 * (DESIGN.md invariant 5): a bad one is rejected with its reason and offset, and the
 * stream goes on. See line-judge.ts for what is accepted and how logId and level resolve.
 */
import { DEFAULT_LEVEL, DEFAULT_MAX_LINE_BYTES, LineJudge, type LineJudgeOptions } from './line-judge.ts';
import { LineStream } from './line-stream.ts';
import type { ParseOutput } from './output.ts';

export { DEFAULT_LEVEL, DEFAULT_MAX_LINE_BYTES };

export type JsonLinesOptions = Omit<LineJudgeOptions, 'format'>;

/** The JSON-only judge: shared by all streams of one input. */
export class JsonLineJudge extends LineJudge {
  constructor(options: JsonLinesOptions) {
    super({ ...options, format: 'json' });
  }
}

/** One byte stream of NDJSON (one TCP connection, one HTTP body, stdin). Never throws on input. */
export class JsonLinesParser extends LineStream {
  /** `judge` may be shared by all streams of one input (it checks the options once). */
  constructor(options: JsonLinesOptions, out: ParseOutput, judge: LineJudge = new JsonLineJudge(options)) {
    super({ judge, maxLineBytes: options.maxLineBytes }, out);
  }
}
