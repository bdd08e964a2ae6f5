/**
 * A message between framing and judging. Framing (line-framer.ts) cuts a byte stream into
 * lines; optional stages in between turn lines into messages: the container-log decoder
 * (container-log.ts) strips the CRI / Docker envelope and joins partial lines, the
 * multiline stage (multiline.ts) joins a stack trace to the line it follows. The judge
 * (line-judge.ts) then makes each message a record or a rejection.
 *
 * Accounting (output.ts): a message's `offset`/`span` cover every input byte it came
 * from, framing and envelope included, so a file's checkpoint can move past it.
 */
export interface Message {
  /** The message text, no terminator. May share memory with the pushed chunk. */
  bytes: Buffer;
  /** Stream offset of the first input byte this message came from. */
  offset: number;
  /** Input bytes this message accounts for (from `offset`), terminators included. */
  span: number;
  /** Time the transport stamped on it (a container runtime's timestamp), ms since the epoch. */
  timeMs?: number | undefined;
  /** `stdout` or `stderr`, for container logs. */
  stream?: string | undefined;
  /** Physical lines joined into this message (1 unless the multiline stage joined some). */
  lines?: number | undefined;
}
