import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { expect } from 'vitest';

/**
 * An orchestrator driven step by step with a stand-in for the Durable context: each yielded task is answered by the
 * test, so the races that matter (late hints, re-raised requests, failing activities) can be staged exactly.
 *
 * It also checks the rule the real extension needs: a task is yielded (alone or inside one `Task.any`) at most
 * once. The Functions Durable extension re-creates a timer put into a second compound task under a new id
 * (durable-js#574), so reusing a task there fails the instance on Azure.
 */
export type Fake =
  | { kind: 'activity'; name: string; input: unknown; retry: unknown; result?: unknown; isCompleted: boolean }
  | { kind: 'timer'; at: Date; cancelled: boolean; cancel(): void; result?: unknown; isCompleted: boolean }
  | { kind: 'event'; name: string; result?: unknown; isCompleted: boolean }
  | { kind: 'any'; tasks: Fake[]; result?: unknown; isCompleted: boolean };

export interface FakeRun<I> {
  readonly current: Fake | undefined;
  readonly timers: Array<Fake & { kind: 'timer' }>;
  readonly continuedWith: I | undefined;
  readonly customStatus: unknown;
  readonly output: unknown;
  /** Completes the yielded task (an activity, a single event) with `result`. */
  answer(result: unknown): void;
  /** Fails the yielded activity, as the extension does once its retries are exhausted. */
  fail(message: string): void;
  /** Lets one task of the yielded `Task.any` win, with `result`. */
  win(pick: (f: Fake) => boolean, result?: unknown): void;
  /**
   * Raises an event as durable-js delivers it: to the newest waiter of that name already yielded and still open,
   * which may be one a finished `Task.any` left behind. The run moves on only if that waiter is what it yields now.
   */
  raise(name: string, result: unknown): void;
}

export function runOrchestrator<I>(handler: OrchestrationHandler, input: I, now = new Date('2026-01-01T00:00:00Z')) {
  const timers: Array<Fake & { kind: 'timer' }> = [];
  const yielded = new Set<Fake>();
  const eventWaiters: Fake[] = [];
  const state = { continuedWith: undefined as I | undefined, customStatus: undefined as unknown };
  const df = {
    getInput: () => input,
    currentUtcDateTime: now,
    callActivity: (name: string, activityInput: unknown): Fake => ({
      kind: 'activity',
      name,
      input: activityInput,
      retry: undefined,
      isCompleted: false,
    }),
    callActivityWithRetry: (name: string, retry: unknown, activityInput: unknown): Fake => ({
      kind: 'activity',
      name,
      input: activityInput,
      retry,
      isCompleted: false,
    }),
    createTimer: (at: Date) => {
      const timer = {
        kind: 'timer' as const,
        at,
        cancelled: false,
        isCompleted: false,
        cancel: () => {
          if (timer.isCompleted) throw new Error('Cannot cancel a completed task.');
          timer.cancelled = true;
        },
      };
      timers.push(timer);
      return timer;
    },
    waitForExternalEvent: (name: string): Fake => ({ kind: 'event', name, isCompleted: false }),
    Task: { any: (tasks: Fake[]): Fake => ({ kind: 'any', tasks, isCompleted: false }) },
    continueAsNew: (next: I) => (state.continuedWith = next),
    setCustomStatus: (status: unknown) => (state.customStatus = status),
  };
  const gen = handler({ df } as unknown as OrchestrationContext) as Generator<Fake, unknown, unknown>;
  let step = gen.next();
  const checkFresh = () => {
    if (step.done) return;
    const parts = step.value.kind === 'any' ? [step.value, ...step.value.tasks] : [step.value];
    for (const part of parts) {
      expect(yielded.has(part), 'a task was put into a second yield or Task.any').toBe(false);
      yielded.add(part);
      if (part.kind === 'event') eventWaiters.push(part);
    }
  };
  checkFresh();
  const advance = (next: () => IteratorResult<Fake, unknown>) => {
    step = next();
    checkFresh();
  };

  const run: FakeRun<I> = {
    get current() {
      return step.done ? undefined : step.value;
    },
    timers,
    get continuedWith() {
      return state.continuedWith;
    },
    get customStatus() {
      return state.customStatus;
    },
    get output() {
      return step.done ? step.value : undefined;
    },
    answer(result) {
      const task = step.value as Fake;
      task.result = result;
      task.isCompleted = true;
      advance(() => gen.next(result));
    },
    fail(message) {
      advance(() => gen.throw(new Error(message)));
    },
    win(pick, result) {
      const any = step.value as Fake & { kind: 'any' };
      const winner = any.tasks.find(pick);
      if (!winner) throw new Error('no such task in the Task.any');
      winner.result = result;
      winner.isCompleted = true;
      any.isCompleted = true;
      advance(() => gen.next(winner));
    },
    raise(name, result) {
      const waiter = eventWaiters.findLast((w) => w.kind === 'event' && w.name === name && !w.isCompleted);
      if (!waiter) throw new Error(`no open waiter for event ${name}`);
      waiter.result = result;
      waiter.isCompleted = true;
      const now = step.done ? undefined : step.value;
      if (now === waiter) advance(() => gen.next(result));
      else if (now?.kind === 'any' && now.tasks.includes(waiter)) {
        now.isCompleted = true;
        advance(() => gen.next(waiter));
      }
    },
  };
  return run;
}

export const isEvent = (name: string) => (f: Fake) => f.kind === 'event' && f.name === name;
export const isTimer = (f: Fake) => f.kind === 'timer';
