/** Opaque handle returned by `Clock.setTimeout`. */
export type ClockTimer = unknown;

/** Wall-clock time and one-shot timers; injected so scheduler tests can drive time by hand. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

// Node fires at once (with a warning) for delays above 2^31-1 ms; callers must re-arm when woken early.
const maxTimerDelayMs = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), maxTimerDelayMs));
    // A pending schedule alone must not keep the process alive once the host has shut down.
    timer.unref();
    return timer;
  },
  clearTimeout(timer) {
    clearTimeout(timer as NodeJS.Timeout);
  },
};
