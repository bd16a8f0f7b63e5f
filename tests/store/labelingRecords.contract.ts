import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, BatchState, Member, TrainingRun } from '../../shared/domain/labelingRecords';
import { ConflictError, type Store } from '../../shared/ports/store';
import type { StoreFactory } from './tasksAndProjects.contract';

export interface RecordsContractOptions {
  /** fast-check runs of the batch life-cycle model (each run is a fresh project in the same store). */
  propertyRuns?: number;
}

const p = 'proj-a';
const at = '2025-01-02T03:04:05.000Z';

export function aMember(projectId: string, userId: string, overrides: Partial<Member> = {}): Member {
  return { projectId, userId, role: 'labeler', addedAt: at, addedBy: 'admin', ...overrides };
}

export function aBatch(id: string, labelerId: string, overrides: Partial<Batch> = {}): Batch {
  return {
    id,
    projectId: p,
    labelerId,
    requestId: `req-${id}`,
    taskIds: [`t-${id}-1`, `t-${id}-2`],
    finishedTaskIds: [],
    createdAt: at,
    leaseExpiresAt: '2025-01-02T04:04:05.000Z',
    state: 'live',
    ...overrides,
  };
}

export function aRun(id: string, overrides: Partial<TrainingRun> = {}): TrainingRun {
  return {
    id,
    projectId: p,
    state: 'requested',
    threshold: 250,
    labeledAtRequest: 250,
    requestedAt: at,
    trigger: 'threshold',
    ...overrides,
  };
}

/** Splits settled calls into values and reasons, failing on any rejection that is not a ConflictError. */
export function conflictsAndWinners<T>(settled: PromiseSettledResult<T>[]): { winners: T[]; conflicts: number } {
  const winners: T[] = [];
  let conflicts = 0;
  for (const s of settled) {
    if (s.status === 'fulfilled') winners.push(s.value);
    else if (s.reason instanceof ConflictError) conflicts++;
    else throw s.reason;
  }
  return { winners, conflicts };
}

/**
 * The members, batches and training runs part of the Store contract. Each test gets a fresh, empty store.
 */
export function describeLabelingRecordsContract(
  name: string,
  makeStore: StoreFactory,
  options: RecordsContractOptions = {},
): void {
  describe(`Store contract (members, batches, training runs): ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('members', () => {
      it('puts (upserts), reads and deletes a member, saying whether there was one to delete', async () => {
        await store.members.put(aMember(p, 'alice'));
        expect(await store.members.get(p, 'alice')).toEqual(aMember(p, 'alice'));

        await store.members.put(aMember(p, 'alice', { role: 'admin', addedBy: 'root' }));
        expect(await store.members.get(p, 'alice')).toEqual(aMember(p, 'alice', { role: 'admin', addedBy: 'root' }));
        expect(await store.members.list(p)).toHaveLength(1);

        expect(await store.members.delete(p, 'alice')).toBe(true);
        expect(await store.members.delete(p, 'alice')).toBe(false);
        expect(await store.members.get(p, 'alice')).toBeUndefined();
        expect(await store.members.get('other', 'alice')).toBeUndefined();
      });

      it("lists a project's members by user id and a user's memberships across projects by project id", async () => {
        for (const [projectId, userId] of [
          ['proj-b', 'carol'],
          [p, 'carol'],
          [p, 'alice'],
          ['proj-c', 'carol'],
          ['proj-b', 'bob'],
        ] as const) {
          await store.members.put(aMember(projectId, userId));
        }
        await store.members.put(aMember('proj-c', 'carol', { role: 'admin' }));
        await store.members.delete('proj-b', 'carol');

        expect((await store.members.list(p)).map((m) => m.userId)).toEqual(['alice', 'carol']);
        expect(await store.members.list('proj-b')).toEqual([aMember('proj-b', 'bob')]);
        expect(await store.members.list('nobody-here')).toEqual([]);
        expect(await store.members.listForUser('carol')).toEqual([
          aMember(p, 'carol'),
          aMember('proj-c', 'carol', { role: 'admin' }),
        ]);
        expect(await store.members.listForUser('dave')).toEqual([]);
      });

      it('keeps user ids of any characters apart (slashes, #, ?, non-ASCII, very long)', async () => {
        const odd = ['a/b', 'a?b', 'a#b', 'a\\b', 'Zoë 🙂', 'x'.repeat(400), 'x'.repeat(401), 'CN=Jo, O=Org'];
        for (const userId of odd) await store.members.put(aMember(p, userId));

        for (const userId of odd) {
          expect(await store.members.get(p, userId)).toEqual(aMember(p, userId));
          expect(await store.members.listForUser(userId)).toEqual([aMember(p, userId)]);
        }
        // Byte order of the UTF-8 text, as SQLite sorts: 'C' < 'Z' < 'a' < 'x'.
        expect((await store.members.list(p)).map((m) => m.userId)).toEqual([...odd].sort(utf8Order));
        expect(await store.members.delete(p, 'a/b')).toBe(true);
        expect(await store.members.get(p, 'a?b')).toEqual(aMember(p, 'a?b'));
      });
    });

    describe('batches', () => {
      it('inserts a batch once: inserting the same id again returns the stored one, unchanged', async () => {
        const first = await store.batches.insert(aBatch('b1', 'alice'));
        const again = await store.batches.insert(aBatch('b1', 'alice', { taskIds: ['other'], requestId: 'req-2' }));

        expect(first.created).toBe(true);
        expect(first.stored.value).toEqual(aBatch('b1', 'alice'));
        expect(again).toEqual({ created: false, stored: first.stored });
        expect(await store.batches.get(p, 'b1')).toEqual(first.stored);
        expect(await store.batches.get(p, 'missing')).toBeUndefined();
        expect(await store.batches.get('other-project', 'b1')).toBeUndefined();
      });

      it('allows one live batch per labeler and project; other labelers, projects and closed batches are free', async () => {
        const alices = await store.batches.insert(aBatch('b1', 'alice'));

        await expect(store.batches.insert(aBatch('b2', 'alice'))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.batches.get(p, 'b2')).toBeUndefined();

        await store.batches.insert(aBatch('b3', 'bob'));
        await store.batches.insert(aBatch('b4', 'alice', { projectId: 'proj-b' }));
        const closed = await store.batches.insert(aBatch('b5', 'alice', { state: 'released', closedAt: at }));
        expect(closed.created).toBe(true);

        expect(await store.batches.getLive(p, 'alice')).toEqual(alices.stored);
        expect((await store.batches.getLive('proj-b', 'alice'))?.value.id).toBe('b4');
        expect(await store.batches.getLive(p, 'carol')).toBeUndefined();
        expect(await store.batches.countLive(p)).toBe(2);
        expect(await store.batches.countLive('proj-b')).toBe(1);
        expect(await store.batches.countLive('proj-c')).toBe(0);
      });

      it('replaces a batch only against its current etag', async () => {
        const { stored: batch } = await store.batches.insert(aBatch('b1', 'alice'));
        const progressed = await store.batches.replace({ ...batch.value, finishedTaskIds: ['t-b1-1'] }, batch.etag);
        expect(progressed.etag).not.toBe(batch.etag);
        expect(progressed.value.finishedTaskIds).toEqual(['t-b1-1']);

        await expect(
          store.batches.replace({ ...batch.value, leaseExpiresAt: 'lost update' }, batch.etag),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.batches.get(p, 'b1')).toEqual(progressed);
        expect(await store.batches.getLive(p, 'alice')).toEqual(progressed);

        await expect(store.batches.replace(aBatch('never-inserted', 'alice'), '1')).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('frees the labeler when the live batch closes; a closed batch never becomes live again', async () => {
        const { stored: batch } = await store.batches.insert(aBatch('b1', 'alice'));
        const done = await store.batches.replace({ ...batch.value, state: 'done', closedAt: at }, batch.etag);

        expect(await store.batches.getLive(p, 'alice')).toBeUndefined();
        expect(await store.batches.countLive(p)).toBe(0);
        // A retried insert of the closed batch finds it as it is now, and does not make it live.
        expect(await store.batches.insert(aBatch('b1', 'alice'))).toEqual({ created: false, stored: done });
        expect(await store.batches.getLive(p, 'alice')).toBeUndefined();

        const next = await store.batches.insert(aBatch('b2', 'alice'));
        expect(next.created).toBe(true);
        expect(await store.batches.getLive(p, 'alice')).toEqual(next.stored);
        expect((await store.batches.listLive(p)).map((b) => b.id)).toEqual(['b2']);

        const revival = store.batches.replace({ ...done.value, state: 'live' }, done.etag);
        await expect(revival).rejects.toThrow(/cannot return/);
        await expect(revival).rejects.not.toBeInstanceOf(ConflictError);
        await expect(
          store.batches.replace({ ...next.stored.value, labelerId: 'bob' }, next.stored.etag),
        ).rejects.toThrow(/labeler cannot change/);
        expect(await store.batches.get(p, 'b1')).toEqual(done);
        expect(await store.batches.getLive(p, 'alice')).toEqual(next.stored);
        expect(await store.batches.countLive(p)).toBe(1);

        await store.batches.insert(aBatch('b3', 'bob'));
        await store.batches.insert(aBatch('b4', 'carol', { state: 'expired' }));
        expect((await store.batches.listLive(p)).map((b) => b.id)).toEqual(['b2', 'b3']);
        expect(await store.batches.listLive('proj-other')).toEqual([]);
      });

      it('race: of 10 concurrent inserts of different live batches for one labeler, exactly one wins', async () => {
        const settled = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.batches.insert(aBatch(`b${i}`, 'alice'))),
        );
        const { winners, conflicts } = conflictsAndWinners(settled);

        expect(winners).toHaveLength(1);
        expect(conflicts).toBe(9);
        expect(winners[0]!.created).toBe(true);
        expect(await store.batches.getLive(p, 'alice')).toEqual(winners[0]!.stored);
        expect(await store.batches.countLive(p)).toBe(1);
        const stored = await Promise.all(Array.from({ length: 10 }, (_, i) => store.batches.get(p, `b${i}`)));
        expect(stored.filter(Boolean)).toEqual([winners[0]!.stored]);
      });

      it('race: 10 concurrent inserts of one batch id store it once and all return the stored batch', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.batches.insert(aBatch('b1', 'alice', { requestId: `req-${i}` }))),
        );

        expect(results.filter((r) => r.created)).toHaveLength(1);
        const stored = await store.batches.get(p, 'b1');
        for (const r of results) expect(r.stored).toEqual(stored);
        expect(await store.batches.getLive(p, 'alice')).toEqual(stored);
      });

      it('race: 6 labelers each sending 4 concurrent inserts get exactly one live batch each', async () => {
        const labelers = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'];
        const settled = await Promise.allSettled(
          labelers.flatMap((l) => [0, 1, 2, 3].map((i) => store.batches.insert(aBatch(`${l}-b${i}`, l)))),
        );
        const { winners, conflicts } = conflictsAndWinners(settled);

        expect(winners.map((w) => w.stored.value.labelerId).sort()).toEqual(labelers);
        expect(conflicts).toBe(18);
        expect(await store.batches.countLive(p)).toBe(6);
        for (const w of winners) expect(await store.batches.getLive(p, w.stored.value.labelerId)).toEqual(w.stored);
      });

      it('race: of 8 concurrent replaces against one etag, exactly one lands', async () => {
        const { stored: batch } = await store.batches.insert(aBatch('b1', 'alice'));
        const settled = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.batches.replace(
              i % 2 === 0
                ? { ...batch.value, finishedTaskIds: [`t-${i}`] }
                : { ...batch.value, state: 'expired', closedAt: at },
              batch.etag,
            ),
          ),
        );
        const { winners, conflicts } = conflictsAndWinners(settled);

        expect(winners).toHaveLength(1);
        expect(conflicts).toBe(7);
        expect(await store.batches.get(p, 'b1')).toEqual(winners[0]);
        const live = winners[0]!.value.state === 'live';
        expect(await store.batches.getLive(p, 'alice')).toEqual(live ? winners[0] : undefined);
        expect(await store.batches.countLive(p)).toBe(live ? 1 : 0);
      });

      it('race: closing the live batch while the next one is inserted never leaves two live batches', async () => {
        let { stored: current } = await store.batches.insert(aBatch('b0', 'alice'));
        for (let round = 1; round <= 5; round++) {
          const [closing, inserting] = await Promise.allSettled([
            store.batches.replace({ ...current.value, state: 'done', closedAt: at }, current.etag),
            store.batches.insert(aBatch(`b${round}`, 'alice')),
          ]);
          expect(closing.status).toBe('fulfilled');
          if (inserting.status === 'rejected') {
            expect(inserting.reason).toBeInstanceOf(ConflictError);
            expect(await store.batches.getLive(p, 'alice')).toBeUndefined();
            ({ stored: current } = await store.batches.insert(aBatch(`b${round}`, 'alice')));
          } else {
            current = inserting.value.stored;
          }
          expect(await store.batches.getLive(p, 'alice')).toEqual(current);
          expect(await store.batches.countLive(p)).toBe(1);
        }
      });

      it('property: any sequence of inserts, progress and closes follows the one-live-batch model', async () => {
        const labelers = ['ann', 'ben'] as const;
        const op = fc.oneof(
          fc.record({
            kind: fc.constant('insert' as const),
            id: fc.constantFrom('b0', 'b1', 'b2', 'b3', 'b4'),
            labeler: fc.constantFrom(...labelers),
            state: fc.constantFrom<BatchState>('live', 'live', 'done'),
          }),
          fc.record({
            kind: fc.constant('close' as const),
            labeler: fc.constantFrom(...labelers),
            state: fc.constantFrom<BatchState>('done', 'released', 'expired'),
          }),
          fc.record({ kind: fc.constant('progress' as const), labeler: fc.constantFrom(...labelers) }),
        );
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
            const projectId = `prop-${run++}`;
            const model = new Map<string, Batch>();
            const liveOf = (l: string) => [...model.values()].find((b) => b.labelerId === l && b.state === 'live');
            for (const o of ops) {
              if (o.kind === 'insert') {
                const batch = aBatch(o.id, o.labeler, { projectId, state: o.state });
                const attempt = store.batches.insert(batch);
                const known = model.get(o.id);
                if (known) {
                  expect(await attempt).toMatchObject({ created: false, stored: { value: known } });
                } else if (o.state === 'live' && liveOf(o.labeler)) {
                  await expect(attempt).rejects.toBeInstanceOf(ConflictError);
                } else {
                  expect((await attempt).created).toBe(true);
                  model.set(o.id, batch);
                }
              } else {
                const live = await store.batches.getLive(projectId, o.labeler);
                expect(live?.value).toEqual(liveOf(o.labeler));
                if (!live) continue;
                const next: Batch =
                  o.kind === 'close'
                    ? { ...live.value, state: o.state, closedAt: at }
                    : { ...live.value, finishedTaskIds: [...live.value.finishedTaskIds, `f${ops.length}`] };
                await store.batches.replace(next, live.etag);
                await expect(store.batches.replace(next, live.etag)).rejects.toBeInstanceOf(ConflictError);
                model.set(next.id, next);
              }
            }
            for (const l of labelers) expect((await store.batches.getLive(projectId, l))?.value).toEqual(liveOf(l));
            const liveCount = [...model.values()].filter((b) => b.state === 'live').length;
            expect(await store.batches.countLive(projectId)).toBe(liveCount);
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      });
    });

    describe('training runs', () => {
      it("inserts a run once and lists a project's runs ordered by id", async () => {
        const first = await store.trainingRuns.insert(aRun('run-000000500', { threshold: 500 }));
        await store.trainingRuns.insert(aRun('run-000000250'));
        await store.trainingRuns.insert(aRun('run-000000250', { projectId: 'proj-b' }));
        const again = await store.trainingRuns.insert(aRun('run-000000500', { state: 'failed', labeledAtRequest: 9 }));

        expect(first).toMatchObject({ created: true, stored: { value: aRun('run-000000500', { threshold: 500 }) } });
        expect(again).toMatchObject({ created: false, stored: { value: aRun('run-000000500', { threshold: 500 }) } });
        expect(await store.trainingRuns.get(p, 'run-000000500')).toEqual(first.stored);
        expect(await store.trainingRuns.get(p, 'run-000000999')).toBeUndefined();
        expect(await store.trainingRuns.list(p)).toEqual([
          aRun('run-000000250'),
          aRun('run-000000500', { threshold: 500 }),
        ]);
        expect(await store.trainingRuns.list('proj-b')).toEqual([aRun('run-000000250', { projectId: 'proj-b' })]);
        expect(await store.trainingRuns.list('proj-c')).toEqual([]);
      });

      it('updates a run’s state only against its current etag, so no progress report is lost', async () => {
        const { stored } = await store.trainingRuns.insert(aRun('run-000000250'));
        const queued = await store.trainingRuns.replace({ ...stored.value, state: 'queued' }, stored.etag);
        expect(queued.etag).not.toBe(stored.etag);
        await expect(
          store.trainingRuns.replace({ ...stored.value, state: 'failed' }, stored.etag),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.trainingRuns.get(p, 'run-000000250')).toEqual(queued);
        expect(await store.trainingRuns.list(p)).toEqual([{ ...stored.value, state: 'queued' }]);
        await expect(store.trainingRuns.replace(aRun('run-000000777'), queued.etag)).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('race: 20 concurrent inserts of one run id create exactly one run', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.trainingRuns.insert(aRun('run-000000250', { labeledAtRequest: 250 + i })),
          ),
        );

        expect(results.filter((r) => r.created)).toHaveLength(1);
        const stored = await store.trainingRuns.list(p);
        expect(stored).toHaveLength(1);
        for (const r of results) expect(r.stored.value).toEqual(stored[0]);
      });
    });
  });
}

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
