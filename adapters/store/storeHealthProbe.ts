import { describeError, type HealthCheckResult, type HealthProbe } from '../../shared/ports/healthProbe';
import type { LabelStore } from '../../shared/ports/labelStore';

/**
 * Checks that the label store answers with one `store.ping()` round trip. Takes a function rather than a store so a
 * store that cannot even be built (a missing or malformed setting) is reported as a failed check, not a crash.
 */
export class StoreHealthProbe implements HealthProbe {
  readonly name = 'store';
  readonly #store: () => LabelStore;

  constructor(store: () => LabelStore) {
    this.#store = store;
  }

  async check(signal: AbortSignal): Promise<HealthCheckResult> {
    const started = performance.now();
    const latencyMs = () => Math.round(performance.now() - started);
    let store: LabelStore;
    try {
      store = this.#store();
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
    try {
      // ping() takes no signal: stop waiting when the caller's time is up (the request itself is cheap).
      await abortable(store.ping(), signal);
      return { ok: true, kind: store.kind, latencyMs: latencyMs() };
    } catch (err) {
      return { ok: false, kind: store.kind, latencyMs: latencyMs(), error: describeError(err) };
    }
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
