/** Splitting an NDJSON body into its lines, without copying (views into the body). */

/** The non-empty lines of `body`, split at "\n" (the last one may lack it). */
export function splitLines(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, start)) {
    if (i > start) out.push(body.subarray(start, i));
    start = i + 1;
  }
  if (start < body.length) out.push(body.subarray(start));
  return out;
}
