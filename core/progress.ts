/**
 * A one-line progress bar for long CLI work, on stderr so stdout stays parseable. On a TTY
 * it redraws in place; elsewhere (CI logs, pipes) it prints a line at most every 10%.
 */
const WIDTH = 30;

export class ProgressBar {
  readonly #label: string;
  readonly #total: number;
  readonly #out: NodeJS.WriteStream;
  #lastDecile = -1;

  constructor(label: string, total: number, out: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#out = out;
  }

  /** The bar's text for `done` of the total, e.g. `replay [#####.....] 50/100 (50%)`. */
  render(done: number): string {
    const ratio = this.#total === 0 ? 1 : Math.min(1, done / this.#total);
    const filled = Math.round(ratio * WIDTH);
    return `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${this.#total} (${Math.floor(ratio * 100)}%)`;
  }

  update(done: number): void {
    if (this.#out.isTTY) {
      this.#out.write(`\r${this.render(done)}`);
      return;
    }
    const decile = this.#total === 0 ? 10 : Math.floor((10 * Math.min(done, this.#total)) / this.#total);
    if (decile > this.#lastDecile) {
      this.#lastDecile = decile;
      this.#out.write(`${this.render(done)}\n`);
    }
  }

  finish(done: number): void {
    this.update(done);
    if (this.#out.isTTY) this.#out.write('\n');
  }
}
