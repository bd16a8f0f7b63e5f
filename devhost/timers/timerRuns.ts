import type { RegisteredFunction } from '../core/registry';
import type { ScheduleStatus } from './scheduleStatus';

/**
 * Live state of each timer function, shared by the scheduler and the admin "run now" endpoint. The composition root
 * builds those two separately, so they meet here; entries are keyed by the registered function object and so
 * belong to the one host in this process.
 */
interface TimerRunState {
  /** Settles when the last queued invocation has finished. */
  tail: Promise<void>;
  /** Invocations queued or running. */
  pending: number;
  schedule?: { status: ScheduleStatus; adjustForDST: boolean };
}

const states = new WeakMap<RegisteredFunction, TimerRunState>();

function stateOf(fn: RegisteredFunction): TimerRunState {
  let state = states.get(fn);
  if (!state) {
    state = { tail: Promise.resolve(), pending: 0 };
    states.set(fn, state);
  }
  return state;
}

function enqueue<T>(state: TimerRunState, task: () => Promise<T>): Promise<T> {
  state.pending++;
  const run = state.tail.then(task);
  const settled = () => {
    state.pending--;
  };
  state.tail = run.then(settled, settled);
  return run;
}

export function isTimerRunning(fn: RegisteredFunction): boolean {
  return stateOf(fn).pending > 0;
}

/** Starts `task` unless an invocation of `fn` is in flight (the host skips such a tick); undefined when skipped. */
export function runTimerIfIdle<T>(fn: RegisteredFunction, task: () => Promise<T>): Promise<T> | undefined {
  const state = stateOf(fn);
  return state.pending > 0 ? undefined : enqueue(state, task);
}

/** Runs `task` once any in-flight invocation of `fn` has finished, so invocations never overlap. */
export function runTimerAfterCurrent<T>(fn: RegisteredFunction, task: () => Promise<T>): Promise<T> {
  return enqueue(stateOf(fn), task);
}

export function publishTimerSchedule(fn: RegisteredFunction, status: ScheduleStatus, adjustForDST: boolean): void {
  stateOf(fn).schedule = { status: { ...status }, adjustForDST };
}

/** The status the scheduler last published for `fn`, if it schedules it. */
export function currentTimerSchedule(fn: RegisteredFunction) {
  return states.get(fn)?.schedule;
}
