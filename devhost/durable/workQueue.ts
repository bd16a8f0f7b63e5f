/** A FIFO with bounded concurrency: at most `limit` items are processed at once. */
export class WorkQueue<T> {
  readonly #items: T[] = [];
  #head = 0;
  #active = 0;
  #paused = false;
  #drained: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly worker: (item: T) => Promise<void>,
  ) {}

  /** Items waiting or running. */
  get size(): number {
    return this.#items.length - this.#head + this.#active;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#pump();
  }

  pause(): void {
    this.#paused = true;
  }

  /** Resolves once nothing is running (waiting items stay queued while paused). */
  drain(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #pump(): void {
    while (!this.#paused && this.#active < this.limit && this.#head < this.#items.length) {
      const item = this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      this.#active++;
      this.worker(item)
        .catch(() => undefined)
        .finally(() => {
          this.#active--;
          if (this.#active === 0) for (const f of this.#drained.splice(0)) f();
          this.#pump();
        });
    }
  }
}
