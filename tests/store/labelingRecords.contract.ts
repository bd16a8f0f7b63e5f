import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, BatchState, LabelingRecords, Member, TrainingRun } from '../../shared/ports/labelingRecords';
import { ConflictError } from '../../shared/ports/labelStore';

export type RecordsFactory = () => Promise<{ records: LabelingRecords; cleanup: () => Promise<void> }>;

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
 * Behaviour every LabelingRecords adapter must show. Each test gets a fresh, empty store from `makeRecords`.
 */
export function describeLabelingRecordsContract(
  name: string,
  makeRecords: RecordsFactory,
  options: RecordsContractOptions = {},
): void {
  describe(`LabelingRecords contract: ${name}`, () => {
    let records: LabelingRecords;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ records, cleanup } = await makeRecords());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('members', () => {
      it('puts (upserts), reads and deletes a member, saying whether there was one to delete', async () => {
        await records.putMember(aMember(p, 'alice'));
        expect(await records.getMember(p, 'alice')).toEqual(aMember(p, 'alice'));

        await records.putMember(aMember(p, 'alice', { role: 'admin', addedBy: 'root' }));
        expect(await records.getMember(p, 'alice')).toEqual(aMember(p, 'alice', { role: 'admin', addedBy: 'root' }));
        expect(await records.listMembers(p)).toHaveLength(1);

        expect(await records.deleteMember(p, 'alice')).toBe(true);
        expect(await records.deleteMember(p, 'alice')).toBe(false);
        expect(await records.getMember(p, 'alice')).toBeUndefined();
        expect(await records.getMember('other', 'alice')).toBeUndefined();
      });

      it("lists a project's members by user id and a user's memberships across projects by project id", async () => {
        for (const [projectId, userId] of [
          ['proj-b', 'carol'],
          [p, 'carol'],
          [p, 'alice'],
          ['proj-c', 'carol'],
          ['proj-b', 'bob'],
        ] as const) {
          await records.putMember(aMember(projectId, userId));
        }
        await records.putMember(aMember('proj-c', 'carol', { role: 'admin' }));
        await records.deleteMember('proj-b', 'carol');

        expect((await records.listMembers(p)).map((m) => m.userId)).toEqual(['alice', 'carol']);
        expect(await records.listMembers('proj-b')).toEqual([aMember('proj-b', 'bob')]);
        expect(await records.listMembers('nobody-here')).toEqual([]);
        expect(await records.listMemberships('carol')).toEqual([
          aMember(p, 'carol'),
          aMember('proj-c', 'carol', { role: 'admin' }),
        ]);
        expect(await records.listMemberships('dave')).toEqual([]);
      });

      it('keeps user ids of any characters apart (slashes, #, ?, non-ASCII, very long)', async () => {
        const odd = ['a/b', 'a?b', 'a#b', 'a\\b', 'Zoë 🙂', 'x'.repeat(400), 'x'.repeat(401), 'CN=Jo, O=Org'];
        for (const userId of odd) await records.putMember(aMember(p, userId));

        for (const userId of odd) {
          expect(await records.getMember(p, userId)).toEqual(aMember(p, userId));
          expect(await records.listMemberships(userId)).toEqual([aMember(p, userId)]);
        }
        // Byte order of the UTF-8 text, as SQLite sorts: 'C' < 'Z' < 'a' < 'x'.
        expect((await records.listMembers(p)).map((m) => m.userId)).toEqual([...odd].sort(utf8Order));
        expect(await records.deleteMember(p, 'a/b')).toBe(true);
        expect(await records.getMember(p, 'a?b')).toEqual(aMember(p, 'a?b'));
      });
    });

    describe('batches', () => {
      it('inserts a batch once: inserting the same id again returns the stored one, unchanged', async () => {
        const first = await records.insertBatch(aBatch('b1', 'alice'));
        const again = await records.insertBatch(aBatch('b1', 'alice', { taskIds: ['other'], requestId: 'req-2' }));

        expect(first.created).toBe(true);
        expect(first.batch.value).toEqual(aBatch('b1', 'alice'));
        expect(again).toEqual({ created: false, batch: first.batch });
        expect(await records.getBatch(p, 'b1')).toEqual(first.batch);
        expect(await records.getBatch(p, 'missing')).toBeUndefined();
        expect(await records.getBatch('other-project', 'b1')).toBeUndefined();
      });

      it('allows one live batch per labeler and project; other labelers, projects and closed batches are free', async () => {
        const alices = await records.insertBatch(aBatch('b1', 'alice'));

        await expect(records.insertBatch(aBatch('b2', 'alice'))).rejects.toBeInstanceOf(ConflictError);
        expect(await records.getBatch(p, 'b2')).toBeUndefined();

        await records.insertBatch(aBatch('b3', 'bob'));
        await records.insertBatch(aBatch('b4', 'alice', { projectId: 'proj-b' }));
        const closed = await records.insertBatch(aBatch('b5', 'alice', { state: 'released', closedAt: at }));
        expect(closed.created).toBe(true);

        expect(await records.getLiveBatch(p, 'alice')).toEqual(alices.batch);
        expect((await records.getLiveBatch('proj-b', 'alice'))?.value.id).toBe('b4');
        expect(await records.getLiveBatch(p, 'carol')).toBeUndefined();
        expect(await records.countLiveBatches(p)).toBe(2);
        expect(await records.countLiveBatches('proj-b')).toBe(1);
        expect(await records.countLiveBatches('proj-c')).toBe(0);
      });

      it('replaces a batch only against its current etag', async () => {
        const { batch } = await records.insertBatch(aBatch('b1', 'alice'));
        const progressed = await records.replaceBatch({ ...batch.value, finishedTaskIds: ['t-b1-1'] }, batch.etag);
        expect(progressed.etag).not.toBe(batch.etag);
        expect(progressed.value.finishedTaskIds).toEqual(['t-b1-1']);

        await expect(
          records.replaceBatch({ ...batch.value, leaseExpiresAt: 'lost update' }, batch.etag),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await records.getBatch(p, 'b1')).toEqual(progressed);
        expect(await records.getLiveBatch(p, 'alice')).toEqual(progressed);

        await expect(records.replaceBatch(aBatch('never-inserted', 'alice'), '1')).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('frees the labeler when the live batch closes; a closed batch never becomes live again', async () => {
        const { batch } = await records.insertBatch(aBatch('b1', 'alice'));
        const done = await records.replaceBatch({ ...batch.value, state: 'done', closedAt: at }, batch.etag);

        expect(await records.getLiveBatch(p, 'alice')).toBeUndefined();
        expect(await records.countLiveBatches(p)).toBe(0);
        // A retried insert of the closed batch finds it as it is now, and does not make it live.
        expect(await records.insertBatch(aBatch('b1', 'alice'))).toEqual({ created: false, batch: done });
        expect(await records.getLiveBatch(p, 'alice')).toBeUndefined();

        const next = await records.insertBatch(aBatch('b2', 'alice'));
        expect(next.created).toBe(true);
        expect(await records.getLiveBatch(p, 'alice')).toEqual(next.batch);

        const revival = records.replaceBatch({ ...done.value, state: 'live' }, done.etag);
        await expect(revival).rejects.toThrow(/cannot return/);
        await expect(revival).rejects.not.toBeInstanceOf(ConflictError);
        await expect(records.replaceBatch({ ...next.batch.value, labelerId: 'bob' }, next.batch.etag)).rejects.toThrow(
          /labeler cannot change/,
        );
        expect(await records.getBatch(p, 'b1')).toEqual(done);
        expect(await records.getLiveBatch(p, 'alice')).toEqual(next.batch);
        expect(await records.countLiveBatches(p)).toBe(1);
      });

      it('race: of 10 concurrent inserts of different live batches for one labeler, exactly one wins', async () => {
        const settled = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => records.insertBatch(aBatch(`b${i}`, 'alice'))),
        );
        const { winners, conflicts } = conflictsAndWinners(settled);

        expect(winners).toHaveLength(1);
        expect(conflicts).toBe(9);
        expect(winners[0]!.created).toBe(true);
        expect(await records.getLiveBatch(p, 'alice')).toEqual(winners[0]!.batch);
        expect(await records.countLiveBatches(p)).toBe(1);
        const stored = await Promise.all(Array.from({ length: 10 }, (_, i) => records.getBatch(p, `b${i}`)));
        expect(stored.filter(Boolean)).toEqual([winners[0]!.batch]);
      });

      it('race: 10 concurrent inserts of one batch id store it once and all return the stored batch', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => records.insertBatch(aBatch('b1', 'alice', { requestId: `req-${i}` }))),
        );

        expect(results.filter((r) => r.created)).toHaveLength(1);
        const stored = await records.getBatch(p, 'b1');
        for (const r of results) expect(r.batch).toEqual(stored);
        expect(await records.getLiveBatch(p, 'alice')).toEqual(stored);
      });

      it('race: 6 labelers each sending 4 concurrent inserts get exactly one live batch each', async () => {
        const labelers = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'];
        const settled = await Promise.allSettled(
          labelers.flatMap((l) => [0, 1, 2, 3].map((i) => records.insertBatch(aBatch(`${l}-b${i}`, l)))),
        );
        const { winners, conflicts } = conflictsAndWinners(settled);

        expect(winners.map((w) => w.batch.value.labelerId).sort()).toEqual(labelers);
        expect(conflicts).toBe(18);
        expect(await records.countLiveBatches(p)).toBe(6);
        for (const w of winners) expect(await records.getLiveBatch(p, w.batch.value.labelerId)).toEqual(w.batch);
      });

      it('race: of 8 concurrent replaces against one etag, exactly one lands', async () => {
        const { batch } = await records.insertBatch(aBatch('b1', 'alice'));
        const settled = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            records.replaceBatch(
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
        expect(await records.getBatch(p, 'b1')).toEqual(winners[0]);
        const live = winners[0]!.value.state === 'live';
        expect(await records.getLiveBatch(p, 'alice')).toEqual(live ? winners[0] : undefined);
        expect(await records.countLiveBatches(p)).toBe(live ? 1 : 0);
      });

      it('race: closing the live batch while the next one is inserted never leaves two live batches', async () => {
        let { batch: current } = await records.insertBatch(aBatch('b0', 'alice'));
        for (let round = 1; round <= 5; round++) {
          const [closing, inserting] = await Promise.allSettled([
            records.replaceBatch({ ...current.value, state: 'done', closedAt: at }, current.etag),
            records.insertBatch(aBatch(`b${round}`, 'alice')),
          ]);
          expect(closing.status).toBe('fulfilled');
          if (inserting.status === 'rejected') {
            expect(inserting.reason).toBeInstanceOf(ConflictError);
            expect(await records.getLiveBatch(p, 'alice')).toBeUndefined();
            ({ batch: current } = await records.insertBatch(aBatch(`b${round}`, 'alice')));
          } else {
            current = inserting.value.batch;
          }
          expect(await records.getLiveBatch(p, 'alice')).toEqual(current);
          expect(await records.countLiveBatches(p)).toBe(1);
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
                const attempt = records.insertBatch(batch);
                const known = model.get(o.id);
                if (known) {
                  expect(await attempt).toMatchObject({ created: false, batch: { value: known } });
                } else if (o.state === 'live' && liveOf(o.labeler)) {
                  await expect(attempt).rejects.toBeInstanceOf(ConflictError);
                } else {
                  expect((await attempt).created).toBe(true);
                  model.set(o.id, batch);
                }
              } else {
                const live = await records.getLiveBatch(projectId, o.labeler);
                expect(live?.value).toEqual(liveOf(o.labeler));
                if (!live) continue;
                const next: Batch =
                  o.kind === 'close'
                    ? { ...live.value, state: o.state, closedAt: at }
                    : { ...live.value, finishedTaskIds: [...live.value.finishedTaskIds, `f${ops.length}`] };
                await records.replaceBatch(next, live.etag);
                await expect(records.replaceBatch(next, live.etag)).rejects.toBeInstanceOf(ConflictError);
                model.set(next.id, next);
              }
            }
            for (const l of labelers) expect((await records.getLiveBatch(projectId, l))?.value).toEqual(liveOf(l));
            const liveCount = [...model.values()].filter((b) => b.state === 'live').length;
            expect(await records.countLiveBatches(projectId)).toBe(liveCount);
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      });
    });

    describe('training runs', () => {
      it("inserts a run once and lists a project's runs ordered by id", async () => {
        const first = await records.insertTrainingRun(aRun('run-000000500', { threshold: 500 }));
        await records.insertTrainingRun(aRun('run-000000250'));
        await records.insertTrainingRun(aRun('run-000000250', { projectId: 'proj-b' }));
        const again = await records.insertTrainingRun(aRun('run-000000500', { state: 'failed', labeledAtRequest: 9 }));

        expect(first).toEqual({ created: true, run: aRun('run-000000500', { threshold: 500 }) });
        expect(again).toEqual({ created: false, run: aRun('run-000000500', { threshold: 500 }) });
        expect(await records.listTrainingRuns(p)).toEqual([
          aRun('run-000000250'),
          aRun('run-000000500', { threshold: 500 }),
        ]);
        expect(await records.listTrainingRuns('proj-b')).toEqual([aRun('run-000000250', { projectId: 'proj-b' })]);
        expect(await records.listTrainingRuns('proj-c')).toEqual([]);
      });

      it('race: 20 concurrent inserts of one run id create exactly one run', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            records.insertTrainingRun(aRun('run-000000250', { labeledAtRequest: 250 + i })),
          ),
        );

        expect(results.filter((r) => r.created)).toHaveLength(1);
        const stored = await records.listTrainingRuns(p);
        expect(stored).toHaveLength(1);
        for (const r of results) expect(r.run).toEqual(stored[0]);
      });
    });
  });
}

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
