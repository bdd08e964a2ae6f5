/**
 * From an input's config (format, levelPattern, multiline, logIdFromPath, the kubernetes
 * input's logId template) to the parser of each of its streams: one LineJudge per input,
 * one LineStream per file or connection.
 */
import type { SpillwayConfig } from '../../config/schema.ts';

export { inputName } from '../../config/agent.ts';

import type { Logger } from '../../core/logger.ts';
import { parseContainerFileName, renderLogIdTemplate } from '../parse/container-log.ts';
import { DEFAULT_MAX_LINE_BYTES, LineJudge } from '../parse/line-judge.ts';
import { LineStream } from '../parse/line-stream.ts';
import {
  DEFAULT_MULTILINE_MAX_LINES,
  DEFAULT_MULTILINE_TIMEOUT_MS,
  type MultilineOptions,
  patternRule,
  stacktraceRule,
} from '../parse/multiline.ts';
import type { ParseOutput } from '../parse/output.ts';
import { compilePathPattern } from '../parse/path-log-id.ts';
import { extraField, type Stamp } from '../parse/record.ts';

export type AgentInput = SpillwayConfig['agent']['inputs'][number];
type TextInput = Extract<AgentInput, { type: 'file' | 'kubernetes' | 'tcp' | 'stdin' }>;

/** The multiline stage of an input, a fresh join rule per stream; undefined without multiline. */
export function multilineOf(
  input: TextInput,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): (() => MultilineOptions) | undefined {
  const m = input.multiline;
  if (m === undefined) return undefined;
  if (m === 'stacktrace') {
    return () => ({
      rule: stacktraceRule(),
      match: 'after',
      maxLines: DEFAULT_MULTILINE_MAX_LINES,
      maxBytes: maxLineBytes,
      timeoutMs: DEFAULT_MULTILINE_TIMEOUT_MS,
    });
  }
  const pattern = m.pattern === undefined ? undefined : new RegExp(m.pattern);
  return () => ({
    rule: pattern === undefined ? stacktraceRule() : patternRule(pattern, m.negate),
    match: m.match,
    maxLines: m.maxLines,
    maxBytes: Math.min(m.maxBytes ?? maxLineBytes, maxLineBytes),
    timeoutMs: m.timeoutMs,
  });
}

export interface InputParsers {
  readonly judge: LineJudge;
  /** A parser for one stream (a connection, stdin). */
  stream(out: ParseOutput): LineStream;
  /** A parser for one file: its logId from the path or the container's name. */
  file(filePath: string, out: ParseOutput): LineStream;
}

export function inputParsers(input: TextInput, stamp: Stamp, log: Logger): InputParsers {
  const judge = new LineJudge({
    stamp,
    format: input.format,
    defaultLogId: input.defaultLogId,
    levelPattern: input.levelPattern,
  });
  const multiline = multilineOf(input);
  const container = input.type === 'kubernetes';
  const stream = (j: LineJudge, out: ParseOutput) => new LineStream({ judge: j, container, multiline }, out);
  const fromPath =
    input.type === 'file' && input.logIdFromPath !== undefined ? compilePathPattern(input.logIdFromPath) : undefined;
  const unnamed = new Set<string>();
  return {
    judge,
    stream: (out) => stream(judge, out),
    file(filePath, out) {
      if (input.type === 'kubernetes') {
        const meta = parseContainerFileName(filePath);
        if (meta === undefined) {
          if (!unnamed.has(filePath)) {
            unnamed.add(filePath);
            log.warn(
              { path: filePath, defaultLogId: input.defaultLogId },
              'kubernetes input: not a kubelet container log name (<pod>_<namespace>_<container>-<id>.log); no pod metadata, logId from defaultLogId',
            );
          }
          return stream(judge, out);
        }
        return stream(
          judge.withDefaults(renderLogIdTemplate(input.logId, meta), [extraField('kubernetes', meta)]),
          out,
        );
      }
      const id = fromPath?.(filePath);
      return stream(id === undefined ? judge : judge.withDefaults(id), out);
    },
  };
}
