/**
 * One-shot wake-ups by key within this process: a waiter registers (`expect`) before it starts what it waits for,
 * and the code that finishes the work `fire`s the key. Nothing crosses processes: a waiter whose work finished
 * elsewhere is never woken, so every waiter keeps its own fallback (a poll) and uses a wake-up only to look sooner.
 */
export class Wakeups {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** A promise that resolves when `key` is fired; `cancel` forgets it (call it when done waiting). */
  expect(key: string): { fired: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const fired = new Promise<void>((resolve) => (wake = resolve));
    let set = this.#waiting.get(key);
    if (!set) this.#waiting.set(key, (set = new Set()));
    set.add(wake);
    const cancel = () => {
      const current = this.#waiting.get(key);
      if (!current?.delete(wake)) return;
      if (current.size === 0) this.#waiting.delete(key);
    };
    return { fired, cancel };
  }

  /** Wakes every waiter of `key` registered so far. */
  fire(key: string): void {
    const set = this.#waiting.get(key);
    if (!set) return;
    this.#waiting.delete(key);
    for (const wake of set) wake();
  }

  /** Keys with waiters (for tests: a finished wait leaves nothing behind). */
  get size(): number {
    return this.#waiting.size;
  }
}
