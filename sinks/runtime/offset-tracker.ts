/**
 * Which offsets of one partition may be committed. Records are handed out in offset order
 * and finish in any order (batches per destination key run concurrently); the committable
 * offset is the first one not finished yet, so a commit never skips a record that is
 * still in flight (at-least-once, DESIGN.md invariant 1).
 */
export class OffsetTracker {
  /** Offsets handed out and not finished, in ascending order, with their sizes. */
  readonly #pending: { offset: bigint; bytes: number; done: boolean }[] = [];
  #head = 0;
  /** Next offset to commit once everything before it is done. */
  #next: bigint | undefined;
  #inFlight = 0;
  #inFlightBytes = 0;

  /** Registers a record handed out for processing. Offsets must ascend. */
  track(offset: bigint, bytes: number): void {
    this.#pending.push({ offset, bytes, done: false });
    this.#inFlight++;
    this.#inFlightBytes += bytes;
  }

  /** Marks a record finished (delivered, parked in the gutter, or dead-lettered). Idempotent. */
  done(offset: bigint): void {
    // Binary search: pending is sorted by offset.
    let lo = this.#head;
    let hi = this.#pending.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.#pending[mid]!;
      if (e.offset === offset) {
        if (!e.done) {
          e.done = true;
          this.#inFlight--;
          this.#inFlightBytes -= e.bytes;
        }
        break;
      }
      if (e.offset < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    while (this.#head < this.#pending.length && this.#pending[this.#head]!.done) {
      this.#next = this.#pending[this.#head]!.offset + 1n;
      this.#head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Records skipped without processing (not routed to this sink) count as done at once. */
  skip(offset: bigint): void {
    this.track(offset, 0);
    this.done(offset);
  }

  /** The offset to commit (next to read), or undefined when nothing new finished. */
  committable(): bigint | undefined {
    return this.#next;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }
}
