import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchSizeFor, waitingLabelers } from '../../shared/domain/batching';
import { claimTask, decideRelease, decideSkip, decideSubmit, LabelingError } from '../../shared/domain/labeling';
import { shuffleKeyFor, type Task } from '../../shared/domain/task';

const now = '2026-01-01T00:00:00.000Z';

function task(overrides: Partial<Task> = {}): Task {
  return {
    id: 't1',
    projectId: 'p1',
    container: 'images',
    blobPath: 'a.jpg',
    blobUrl: 'http://x/images/a.jpg',
    contentType: 'image/jpeg',
    sizeBytes: 10,
    width: 100,
    height: 100,
    eTag: 'e',
    sequencer: '1',
    state: 'new',
    shuffleKey: shuffleKeyFor('t1'),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const assigned = (labelerId: string, batchId = 'b1') =>
  task({ state: 'assigned', assignment: { labelerId, batchId, leaseExpiresAt: now } });
const box = { label: 'cat', x: 1, y: 1, width: 10, height: 10 };

describe('submitting labels', () => {
  it('labels a task in the caller’s batch and records who, when and time spent', () => {
    const d = decideSubmit(assigned('ann'), { boxes: [box], secondsOnTask: 12 }, { labelerId: 'ann', now });
    expect(d.kind).toBe('write');
    if (d.kind !== 'write') return;
    expect(d.task.state).toBe('labeled');
    expect(d.task.assignment).toBeUndefined();
    expect(d.task.annotation).toEqual({ boxes: [box], by: 'ann', at: now, secondsOnTask: 12 });
  });

  it('re-sending the same annotation is a no-op; a different one is refused', () => {
    const labeled = task({ state: 'labeled', annotation: { boxes: [box], by: 'ann', at: now } });
    expect(decideSubmit(labeled, { boxes: [box] }, { labelerId: 'ann', now }).kind).toBe('ignore');
    expect(() => decideSubmit(labeled, { boxes: [] }, { labelerId: 'ann', now })).toThrow(LabelingError);
    expect(() => decideSubmit(labeled, { boxes: [box] }, { labelerId: 'bob', now })).toThrow(/already labeled/);
  });

  it('refuses a task in someone else’s batch, or never handed out', () => {
    expect(() => decideSubmit(assigned('bob'), { boxes: [box] }, { labelerId: 'ann', now })).toThrow(/another labeler/);
    expect(() => decideSubmit(task(), { boxes: [box] }, { labelerId: 'ann', now })).toThrow(/not in your live batch/);
    expect(() => decideSubmit(undefined, { boxes: [box] }, { labelerId: 'ann', now })).toThrow(LabelingError);
    expect(() => decideSubmit(task({ state: 'removed' }), { boxes: [] }, { labelerId: 'ann', now })).toThrow(
      /no longer part/,
    );
  });

  it('accepts a late submission after lease expiry only if nobody re-claimed the task', () => {
    const released = decideRelease(assigned('ann'), 'b1', now);
    expect(released.kind).toBe('write');
    if (released.kind !== 'write') return;
    expect(decideSubmit(released.task, { boxes: [box] }, { labelerId: 'ann', now }).kind).toBe('write');
    expect(() => decideSubmit(released.task, { boxes: [box] }, { labelerId: 'bob', now })).toThrow(LabelingError);
    const reclaimed = {
      ...released.task,
      state: 'assigned' as const,
      assignment: { labelerId: 'bob', batchId: 'b2', leaseExpiresAt: now },
    };
    expect(() => decideSubmit(reclaimed, { boxes: [box] }, { labelerId: 'ann', now })).toThrow(/another labeler/);
  });

  it('records whether a prelabel was accepted, edited or cleared', () => {
    const pre = { boxes: [{ ...box, score: 0.9 }], modelRunId: 'r1', confidence: 0.9, at: now };
    const base = { ...assigned('ann'), prelabel: pre };
    const outcome = (boxes: (typeof box)[]) => {
      const d = decideSubmit(base, { boxes }, { labelerId: 'ann', now });
      return d.kind === 'write' ? d.task.annotation!.prelabelOutcome : undefined;
    };
    expect(outcome([box])).toBe('accepted');
    expect(outcome([{ ...box, width: 11 }])).toBe('edited');
    expect(outcome([])).toBe('cleared');
  });
});

describe('skipping and releasing', () => {
  it('skips with a reason; repeating is a no-op', () => {
    const d = decideSkip(assigned('ann'), 'noObjects', { labelerId: 'ann', now });
    expect(d.kind === 'write' && d.task.state).toBe('skipped');
    if (d.kind !== 'write') return;
    expect(d.task.skip).toEqual({ by: 'ann', at: now, reason: 'noObjects' });
    expect(decideSkip(d.task, 'noObjects', { labelerId: 'ann', now }).kind).toBe('ignore');
  });

  it('release returns only this batch’s unfinished tasks, to prelabeled when a prelabel exists', () => {
    expect(decideRelease(assigned('ann', 'b2'), 'b1', now).kind).toBe('ignore');
    expect(decideRelease(task({ state: 'labeled' }), 'b1', now).kind).toBe('ignore');
    const pre = { ...assigned('ann'), prelabel: { boxes: [], modelRunId: 'r', confidence: 0.5, at: now } };
    const d = decideRelease(pre, 'b1', now);
    expect(d.kind === 'write' && d.task.state).toBe('prelabeled');
  });

  it('state machine property: no sequence of operations puts a task in two batches or loses a submission', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('claim' as const),
        who: fc.constantFrom('ann', 'bob'),
        batch: fc.constantFrom('b1', 'b2', 'b3'),
      }),
      fc.record({
        kind: fc.constant('submit' as const),
        who: fc.constantFrom('ann', 'bob'),
        width: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant('skip' as const), who: fc.constantFrom('ann', 'bob') }),
      fc.record({ kind: fc.constant('release' as const), batch: fc.constantFrom('b1', 'b2', 'b3') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let t = task();
        for (const o of ops) {
          const before = t;
          try {
            if (o.kind === 'claim') {
              // The transition both store adapters apply to every candidate they race for.
              const claimed = claimTask(t, { labelerId: o.who, batchId: o.batch, leaseExpiresAt: now }, now);
              // A task already in a live batch is never claimed for another one.
              if (before.state === 'assigned') expect(claimed).toBeUndefined();
              if (claimed) t = claimed;
              expect(t.state === 'assigned').toBe(t.assignment !== undefined);
              continue;
            }
            const d =
              o.kind === 'submit'
                ? decideSubmit(t, { boxes: [{ ...box, width: o.width }] }, { labelerId: o.who, now })
                : o.kind === 'skip'
                  ? decideSkip(t, 'unsure', { labelerId: o.who, now })
                  : decideRelease(t, o.batch, now);
            if (d.kind === 'write') t = d.task;
          } catch (err) {
            expect(err).toBeInstanceOf(LabelingError);
          }
          // Invariants: assigned ⇔ has an assignment; a recorded submission is never replaced by a different one.
          expect(t.state === 'assigned').toBe(t.assignment !== undefined);
          if (before.state === 'labeled' || before.state === 'skipped') expect(t).toBe(before);
        }
      }),
    );
  });
});

describe('batch sizing', () => {
  it('labelers arriving together split the tail evenly and leave nothing unassigned', () => {
    // 50 labelers of a project ask at once for the last 2,000 images; each allocation sees the ones before it.
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 80 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 200 }),
        (labelers, pool, policySize) => {
          let claimable = pool;
          const sizes: number[] = [];
          for (let live = 0; live < labelers; live++) {
            const waiting = waitingLabelers({ labelers, liveBatches: live, requesterIsCounted: true });
            const n = Math.min(claimable, batchSizeFor({ policySize, waitingLabelers: waiting, claimable }));
            sizes.push(n);
            claimable -= n;
          }
          expect(claimable).toBe(Math.max(0, pool - policySize * labelers));
          const given = sizes.filter((n) => n > 0);
          if (pool < policySize * labelers && given.length === labelers) {
            expect(Math.max(...given) - Math.min(...given)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('counts the requester once, and only labelers without a live batch', () => {
    expect(waitingLabelers({ labelers: 5, liveBatches: 2, requesterIsCounted: true })).toBe(3);
    expect(waitingLabelers({ labelers: 5, liveBatches: 2, requesterIsCounted: false })).toBe(4);
    expect(waitingLabelers({ labelers: 0, liveBatches: 3, requesterIsCounted: false })).toBe(1);
  });

  it('gives the policy size while there is plenty, then splits the rest evenly', () => {
    expect(batchSizeFor({ policySize: 75, waitingLabelers: 3, claimable: 1000 })).toBe(75);
    expect(batchSizeFor({ policySize: 75, waitingLabelers: 3, claimable: 100 })).toBe(34);
    expect(batchSizeFor({ policySize: 75, waitingLabelers: 3, claimable: 0 })).toBe(0);
    expect(batchSizeFor({ policySize: 75, waitingLabelers: 1, claimable: 40 })).toBe(40);
  });

  it('never exceeds the policy, never returns 0 while work remains, and the shares cover the rest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 100_000 }),
        (size, labelers, claimable) => {
          const n = batchSizeFor({ policySize: size, waitingLabelers: labelers, claimable });
          expect(n).toBeLessThanOrEqual(size);
          if (claimable > 0) expect(n).toBeGreaterThan(0);
          if (claimable < size * labelers)
            expect(n * labelers).toBeGreaterThanOrEqual(Math.min(claimable, size * labelers));
        },
      ),
    );
  });
});
