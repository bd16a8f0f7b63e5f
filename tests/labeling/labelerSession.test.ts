import { describe, expect, it } from 'vitest';
import { labelerSession } from '../../orchestrations/labelerSession';
import {
  allocateBatch,
  batchEnded,
  expireBatch,
  requestBatch,
  type LabelerSessionInput,
} from '../../shared/workflows/labeling';
import { isEvent, isTimer, runOrchestrator } from '../helpers/fakeOrchestration';

const lease = '2026-01-01T01:00:00.000Z';
const session = (input: LabelerSessionInput) => runOrchestrator<LabelerSessionInput>(labelerSession, input);

/** A session that served request r1 with batch b2 and now holds it. */
function holding() {
  const s = session({ projectId: 'p', labelerId: 'ann', requestId: 'r1' });
  expect(s.current).toMatchObject({ kind: 'activity', name: allocateBatch.name, retry: expect.anything() });
  s.answer({ batchId: 'b2', taskCount: 3, leaseExpiresAt: lease });
  expect(s.current).toMatchObject({ kind: 'any' });
  return s;
}

describe('labeler session', () => {
  it('when the batch it holds ends, waits for the next request in the same execution, then continues with it', () => {
    const s = holding();
    s.win(isEvent(batchEnded.name), { batchId: 'b2' });
    expect(s.timers[0]!.cancelled).toBe(true);
    // Not continued as new yet: that would drop a request delivered in the same episode as "batch ended".
    expect(s.continuedWith).toBeUndefined();
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    expect(s.timers).toHaveLength(1); // an idle session arms no timer
    s.answer({ requestId: 'r2' });
    expect(s.current).toBeUndefined();
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r2' });
  });

  it('waiting for the next request, ignores the one it just served raised again, and a malformed one', () => {
    const s = holding();
    s.win(isEvent(batchEnded.name), { batchId: 'b2' });
    s.answer({ requestId: 'r1' });
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    s.answer({ wrong: true });
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    s.answer({ requestId: 'r3' });
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r3' });
  });

  it('ignores a late "batch ended" about an earlier batch, so the held batch still expires', () => {
    const s = holding();
    s.win(isEvent(batchEnded.name), { batchId: 'b1' });
    expect(s.current).toMatchObject({ kind: 'any' });
    // The next wait has a timer of its own, at the same lease; the abandoned one is cancelled.
    expect(s.timers.map((t) => [t.at.toISOString(), t.cancelled])).toEqual([
      [lease, true],
      [lease, false],
    ]);
    s.win(isTimer);
    expect(s.current).toMatchObject({ kind: 'activity', name: expireBatch.name, input: { batchId: 'b2' } });
    s.answer({ closed: true });
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    s.answer({ requestId: 'r2' });
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r2' });
  });

  it('a request raised while the lease check runs is served next, not lost with the round it reached', () => {
    for (const closed of [true, false]) {
      const s = holding();
      s.win(isTimer);
      expect(s.current).toMatchObject({ kind: 'activity', name: expireBatch.name });
      // The round's request waiter is the only one open while the activity runs: durable-js hands the event to it.
      s.raise(requestBatch.name, { requestId: 'r2' });
      s.answer(closed ? { closed: true } : { closed: false, leaseExpiresAt: '2026-01-01T01:30:00.000Z' });
      expect(s.current).toBeUndefined();
      expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r2' });
    }
  });

  it('a request raised again while the lease check runs changes nothing', () => {
    const s = holding();
    s.win(isTimer);
    s.raise(requestBatch.name, { requestId: 'r1' });
    s.answer({ closed: false, leaseExpiresAt: '2026-01-01T01:30:00.000Z' });
    expect(s.current).toMatchObject({ kind: 'any' });
  });

  it('re-arms the lease when submissions extended it', () => {
    const s = holding();
    s.win(isTimer);
    s.answer({ closed: false, leaseExpiresAt: '2026-01-01T01:30:00.000Z' });
    expect(s.timers.map((t) => t.at.toISOString())).toEqual([lease, '2026-01-01T01:30:00.000Z']);
    s.win(isTimer);
    s.answer({ closed: true });
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
  });

  it('serves a request that arrived while the batch was held in the next execution, instead of dropping it', () => {
    const s = holding();
    s.win(isEvent(requestBatch.name), { requestId: 'r2' });
    expect(s.current).toBeUndefined();
    expect(s.timers[0]!.cancelled).toBe(true);
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r2' });
  });

  it('the request it serves, raised again (routine for slow requests), gets a fresh wait with a new timer', () => {
    const s = holding();
    for (let i = 0; i < 3; i++) {
      s.win(isEvent(requestBatch.name), { requestId: 'r1' });
      expect(s.current).toMatchObject({ kind: 'any' }); // the fake fails if a task is reused in it
    }
    expect(s.timers.filter((t) => !t.cancelled)).toHaveLength(1);
    s.win(isTimer);
    s.answer({ closed: true });
    s.answer({ requestId: 'r4' });
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r4' });
  });

  it('ignores a malformed request event instead of failing', () => {
    const s = holding();
    s.win(isEvent(requestBatch.name), { wrong: true });
    expect(s.current).toMatchObject({ kind: 'any' });
  });

  it('waits for a request when started without one; an empty batch is not held', () => {
    const s = session({ projectId: 'p', labelerId: 'ann' });
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    s.answer({ requestId: 'r9' });
    expect(s.current).toMatchObject({ kind: 'activity', input: { requestId: 'r9' } });
    s.answer({ batchId: 'b9', taskCount: 0, leaseExpiresAt: lease });
    expect(s.timers).toEqual([]);
    expect(s.current).toMatchObject({ kind: 'event', name: requestBatch.name });
    s.answer({ requestId: 'r10' });
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann', requestId: 'r10' });
  });

  it('an allocation that fails through its retries ends the execution cleanly, ready for the next request', () => {
    const s = session({ projectId: 'p', labelerId: 'ann', requestId: 'r1' });
    s.fail('store unavailable');
    expect(s.current).toBeUndefined();
    expect(s.continuedWith).toEqual({ projectId: 'p', labelerId: 'ann' });
  });

  it('refuses a malformed input at once, naming the field', () => {
    expect(() => session({ projectId: '', labelerId: 'ann' })).toThrow(/projectId/);
  });
});
