/**
 * At most `limit` calls of one kind run at once in this process; the rest wait their turn, first come first served,
 * but never longer than `maxWaitMs` (then they run anyway: a slow call must not hold everyone up indefinitely).
 */
export class Bulkhead {
  readonly #limit: number;
  readonly #maxWaitMs: number;
  #active = 0;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number, maxWaitMs: number) {
    this.#limit = limit;
    this.#maxWaitMs = maxWaitMs;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await this.#turn();
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  /** Calls running and calls waiting. */
  get size(): { active: number; waiting: number } {
    return { active: this.#active, waiting: this.#queue.length };
  }

  #turn(): Promise<void> {
    return new Promise((resolve) => {
      const go = () => {
        clearTimeout(timer);
        const i = this.#queue.indexOf(go);
        if (i >= 0) this.#queue.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(go, this.#maxWaitMs);
      this.#queue.push(go);
    });
  }
}
