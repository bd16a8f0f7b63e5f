/**
 * Collapses concurrent calls of the same idempotent signal (per key) within this process. A caller is answered by
 * the first call that *starts after* it asked: the one it starts itself when none is running, else the single
 * follow-up queued behind the running one, shared by everyone who asked meanwhile. So whatever a caller wrote before
 * asking is seen by a signal it waits for, yet a burst of N callers costs two calls instead of N.
 */
export class Coalescer {
  readonly #running = new Map<string, Promise<void>>();
  readonly #queued = new Map<string, Promise<void>>();

  run(key: string, call: () => Promise<void>): Promise<void> {
    const queued = this.#queued.get(key);
    if (queued) return queued; // not started yet: it starts after this caller asked
    const running = this.#running.get(key);
    if (!running) return this.#start(key, call);
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.#queued.delete(key);
        return this.#start(key, call);
      });
    this.#queued.set(key, next);
    return next;
  }

  #start(key: string, call: () => Promise<void>): Promise<void> {
    const started = call().finally(() => {
      if (this.#running.get(key) === started) this.#running.delete(key);
    });
    this.#running.set(key, started);
    return started;
  }
}
