import type { OrchestrationContext } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { labelerSession } from '../../orchestrations/labelerSession';
import { labelingActivities, labelingEvents, type LabelerSessionInput } from '../../shared/domain/labelingWorkflow';

// The labeler-session orchestrator driven step by step with a stand-in for the Durable context: each yielded task
// is answered by the test, so the races that matter (late hints, requests arriving while a batch is held) can be
// staged exactly.

type Fake =
  | { kind: 'activity'; name: string; input: unknown; result?: unknown }
  | { kind: 'timer'; at: Date; cancelled: boolean; cancel(): void; result?: unknown }
  | { kind: 'event'; name: string; result?: unknown }
  | { kind: 'any'; tasks: Fake[] };

function session(input: LabelerSessionInput) {
  const seen = {
    continuedWith: undefined as LabelerSessionInput | undefined,
    timers: [] as Array<Fake & { kind: 'timer' }>,
  };
  const df = {
    getInput: () => input,
    callActivity: (name: string, activityInput: unknown): Fake => ({ kind: 'activity', name, input: activityInput }),
    createTimer: (at: Date) => {
      const timer = { kind: 'timer' as const, at, cancelled: false, cancel: () => (timer.cancelled = true) };
      seen.timers.push(timer);
      return timer;
    },
    waitForExternalEvent: (name: string): Fake => ({ kind: 'event', name }),
    Task: { any: (tasks: Fake[]): Fake => ({ kind: 'any', tasks }) },
    continueAsNew: (next: LabelerSessionInput) => (seen.continuedWith = next),
    setCustomStatus: () => undefined,
  };
  const run = labelerSession({ df } as unknown as OrchestrationContext) as Generator<Fake, unknown, unknown>;
  let step = run.next();
  return {
    seen,
    get current(): Fake | undefined {
      return step.done ? undefined : step.value;
    },
    /** Completes the yielded task (an activity, a single event) with `result`. */
    answer(result: unknown) {
      step = run.next(result);
    },
    /** Lets one task of the yielded `Task.any` win, with `result`. */
    win(pick: (f: Fake) => boolean, result?: unknown) {
      const any = step.value as Fake & { kind: 'any' };
      const winner = any.tasks.find(pick)!;
      winner.result = result;
      step = run.next(winner);
    },
  };
}

const lease = '2026-01-01T01:00:00.000Z';
const isEvent = (name: string) => (f: Fake) => f.kind === 'event' && f.name === name;
const isTimer = (f: Fake) => f.kind === 'timer';

/** A session that served request r1 with batch b2 and now holds it. */
function holding() {
  const s = session({ projectId: 'p', labelerId: 'ann', requestId: 'r1' });
  expect(s.current).toMatchObject({ kind: 'activity', name: labelingActivities.allocateBatch });
  s.answer({ batchId: 'b2', taskCount: 3, leaseExpiresAt: lease });
  expect(s.current).toMatchObject({ kind: 'any' });
  return s;
}

describe('labeler session', () => {
  it('ends its wait when the batch it holds ends', () => {
    const s = holding();
    s.win(isEvent(labelingEvents.batchEnded), { batchId: 'b2' });
    expect(s.current).toBeUndefined();
    expect(s.seen.timers[0]!.cancelled).toBe(true);
    expect(s.seen.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann' });
  });

  it('ignores a late "batch ended" about an earlier batch, so the held batch still expires', () => {
    const s = holding();
    s.win(isEvent(labelingEvents.batchEnded), { batchId: 'b1' });
    expect(s.current).toMatchObject({ kind: 'any' });
    expect(s.seen.timers[0]!.cancelled).toBe(false);
    s.win(isTimer);
    expect(s.current).toMatchObject({
      kind: 'activity',
      name: labelingActivities.expireBatch,
      input: { batchId: 'b2' },
    });
    s.answer({ closed: true });
    expect(s.seen.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann' });
  });

  it('re-arms the lease when submissions extended it', () => {
    const s = holding();
    s.win(isTimer);
    s.answer({ closed: false, leaseExpiresAt: '2026-01-01T01:30:00.000Z' });
    expect(s.seen.timers.map((t) => t.at.toISOString())).toEqual([lease, '2026-01-01T01:30:00.000Z']);
    s.win(isTimer);
    s.answer({ closed: true });
    expect(s.current).toBeUndefined();
  });

  it('serves a request that arrived while the batch was held in the next execution, instead of dropping it', () => {
    const s = holding();
    s.win(isEvent(labelingEvents.requestBatch), { requestId: 'r2' });
    expect(s.current).toBeUndefined();
    expect(s.seen.timers[0]!.cancelled).toBe(true);
    expect(s.seen.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r2' });
  });

  it('ignores the request it is serving when it is raised again', () => {
    const s = holding();
    s.win(isEvent(labelingEvents.requestBatch), { requestId: 'r1' });
    expect(s.current).toMatchObject({ kind: 'any' });
    s.win(isEvent(labelingEvents.batchEnded), { batchId: 'b2' });
    expect(s.seen.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann' });
  });

  it('waits for a request when started without one; an empty batch is not held', () => {
    const s = session({ projectId: 'p', labelerId: 'ann' });
    expect(s.current).toMatchObject({ kind: 'event', name: labelingEvents.requestBatch });
    s.answer({ requestId: 'r9' });
    expect(s.current).toMatchObject({ kind: 'activity', input: { requestId: 'r9' } });
    s.answer({ batchId: 'b9', taskCount: 0, leaseExpiresAt: lease });
    expect(s.current).toBeUndefined();
    expect(s.seen.timers).toEqual([]);
    expect(s.seen.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann' });
  });
});
