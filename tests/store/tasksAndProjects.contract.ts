import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { counterSegment, inWindow } from '../../shared/domain/counters';
import type { Task } from '../../shared/domain/task';
import { ConflictError, type Store } from '../../shared/ports/store';
import {
  aProject,
  allTasks,
  blobCreated,
  blobDeleted,
  counters,
  facts,
  idOf,
  labeledBy,
  now,
  recount,
  recountAll,
  sequencer,
  shuffled,
  skippedBy,
  skippedFor,
  submitted,
  withPrelabel,
} from './storeFixtures';

export type StoreFactory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

export interface ContractOptions {
  /** fast-check runs for the event-ordering property (each run is a fresh project in the same store). */
  propertyRuns?: number;
}

const p = 'proj-a';
const assignmentOf = (labelerId: string) => ({ batchId: `batch-${labelerId}`, labelerId, leaseExpiresAt: now });

/**
 * The projects and tasks part of the Store contract. Each test gets a fresh, empty store from `makeStore`.
 */
export function describeTasksAndProjectsContract(
  name: string,
  makeStore: StoreFactory,
  options: ContractOptions = {},
): void {
  describe(`Store contract (projects, tasks, counters): ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    /** Registers `n` blobs (img-000.jpg …) as new tasks and returns their ids. */
    async function registerBlobs(n: number, projectId = p): Promise<string[]> {
      const items = Array.from({ length: n }, (_, i) =>
        blobCreated(projectId, facts(`img-${String(i).padStart(3, '0')}.jpg`, 1)),
      );
      const results = await store.tasks.mutateMany(projectId, items);
      expect(results.every((r) => r.outcome === 'written')).toBe(true);
      return items.map((i) => i.taskId);
    }

    describe('projects', () => {
      it('inserting a project again keeps the stored one and says it was not created', async () => {
        const first = await store.projects.insert(aProject('alpha'));
        const again = await store.projects.insert(aProject('alpha', { name: 'A different name' }));

        expect(first.created).toBe(true);
        expect(again.created).toBe(false);
        expect(again.stored.value.name).toBe('Project alpha');
        expect(again.stored.etag).toBe(first.stored.etag);
        expect((await store.projects.get('alpha'))?.value).toEqual(aProject('alpha'));
        expect(await store.projects.get('missing')).toBeUndefined();
      });

      it('replaces a project only against its current etag', async () => {
        const { stored: project } = await store.projects.insert(aProject('alpha'));
        const renamed = await store.projects.replace({ ...project.value, name: 'Renamed' }, project.etag);
        expect(renamed.etag).not.toBe(project.etag);

        await expect(
          store.projects.replace({ ...project.value, name: 'Lost update' }, project.etag),
        ).rejects.toBeInstanceOf(ConflictError);
        const stored = await store.projects.get('alpha');
        expect(stored?.value.name).toBe('Renamed');
        expect(stored?.etag).toBe(renamed.etag);
      });

      it('lists every project in id order', async () => {
        for (const id of ['gamma', 'alpha', 'beta']) await store.projects.insert(aProject(id));
        expect((await store.projects.list()).map((x) => x.id)).toEqual(['alpha', 'beta', 'gamma']);
      });
    });

    describe('mutateTask', () => {
      it('inserts, updates and ignores, with the counters exactly in step', async () => {
        const created = await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 1)).mutation);
        expect(created.outcome).toBe('written');
        expect(created.task?.state).toBe('new');
        expect(await store.tasks.counters(p)).toEqual(counters({ new: 1 }));

        await store.tasks.mutate(p, idOf('a.jpg'), withPrelabel(0.4));
        expect(await store.tasks.counters(p)).toEqual(counters({ prelabeled: 1 }));
        const labeled = await store.tasks.mutate(p, idOf('a.jpg'), labeledBy('alice', true));
        expect(labeled.task?.annotation?.by).toBe('alice');
        expect(await store.tasks.counters(p)).toEqual(counters({ labeled: 1 }, 1));

        const before = await store.tasks.get(p, idOf('a.jpg'));
        const duplicate = await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 1)).mutation);
        expect(duplicate).toMatchObject({ outcome: 'ignored', reason: expect.any(String) });
        expect(await store.tasks.get(p, idOf('a.jpg'))).toEqual(before);
        expect(await store.tasks.counters(p)).toEqual(counters({ labeled: 1 }, 1));
      });

      it('refuses a mutation that returns a different task and writes nothing', async () => {
        const other = blobCreated(p, facts('other.jpg', 1));
        await expect(store.tasks.mutate(p, idOf('a.jpg'), other.mutation)).rejects.toThrow();
        expect(await store.tasks.get(p, idOf('a.jpg'))).toBeUndefined();
        expect(await store.tasks.get(p, other.taskId)).toBeUndefined();
        expect(await store.tasks.counters(p)).toEqual(counters({}));
      });

      it('keeps projects apart', async () => {
        await store.tasks.mutate('proj-b', idOf('a.jpg'), blobCreated('proj-b', facts('a.jpg', 1)).mutation);
        expect(await store.tasks.get(p, idOf('a.jpg'))).toBeUndefined();
        expect(await store.tasks.counters(p)).toEqual(counters({}));
        expect(await store.tasks.counters('proj-b')).toEqual(counters({ new: 1 }));
      });

      it('retries a conflicting concurrent write instead of losing it: 20 concurrent increments all land', async () => {
        const id = (await registerBlobs(1))[0]!;
        const increment = (t: Task | undefined) =>
          t
            ? { kind: 'write' as const, task: { ...t, sizeBytes: t.sizeBytes + 1 } }
            : { kind: 'ignore' as const, reason: 'absent' };
        const start = (await store.tasks.get(p, id))!.value.sizeBytes;

        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            i % 2 === 0
              ? store.tasks.mutate(p, id, increment)
              : store.tasks.mutateMany(p, [{ taskId: id, mutation: increment }]).then((r) => r[0]!),
          ),
        );

        expect(results.every((r) => r.outcome === 'written')).toBe(true);
        expect((await store.tasks.get(p, id))!.value.sizeBytes).toBe(start + 20);
        expect(await store.tasks.counters(p)).toEqual(counters({ new: 1 }));
      });
    });

    describe('blob events through the store', () => {
      it('registers each blob exactly once when every event arrives three times, shuffled and in parallel batches', async () => {
        const events = Array.from({ length: 30 }, (_, i) => blobCreated(p, facts(`img-${i}.jpg`, 5)));
        const deliveries = shuffled([...events, ...events, ...events]);
        const batches = Array.from({ length: 9 }, (_, b) => deliveries.slice(b * 10, b * 10 + 10));

        const results = (await Promise.all(batches.map((batch) => store.tasks.mutateMany(p, batch)))).flat();

        expect(results.filter((r) => r.outcome === 'written')).toHaveLength(30);
        expect(await allTasks(store, p)).toHaveLength(30);
        expect(await store.tasks.counters(p)).toEqual(counters({ new: 30 }));
      });

      it('returns results in input order and applies repeated items for one task in order', async () => {
        const a = blobCreated(p, facts('a.jpg', 1));
        const b = blobCreated(p, facts('b.jpg', 1));
        const aAgain = blobCreated(p, facts('a.jpg', 2, { width: 800 }));
        const results = await store.tasks.mutateMany(p, [a, b, aAgain, a]);

        expect(results.map((r) => [r.taskId, r.outcome])).toEqual([
          [a.taskId, 'written'],
          [b.taskId, 'written'],
          [a.taskId, 'written'],
          [a.taskId, 'ignored'],
        ]);
        expect((await store.tasks.get(p, a.taskId))?.value).toMatchObject({ width: 800, sequencer: sequencer(2) });
        expect(await store.tasks.counters(p)).toEqual(counters({ new: 2 }));
      });

      it('a delete that arrives before its create leaves a tombstone that the stale create cannot resurrect', async () => {
        await store.tasks.mutate(p, idOf('a.jpg'), blobDeleted(p, 'a.jpg', 2).mutation);
        const stale = await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 1)).mutation);

        expect(stale.outcome).toBe('ignored');
        expect((await store.tasks.get(p, idOf('a.jpg')))?.value.state).toBe('removed');
        expect(await store.tasks.counters(p)).toEqual(counters({ removed: 1 }));
        expect(await allTasks(store, p, { state: 'new' })).toEqual([]);
      });

      it('a stale create after a delete changes nothing; a newer upload brings the task back', async () => {
        await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 1)).mutation);
        await store.tasks.mutate(p, idOf('a.jpg'), blobDeleted(p, 'a.jpg', 3).mutation);
        expect((await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 2)).mutation)).outcome).toBe(
          'ignored',
        );
        expect((await store.tasks.get(p, idOf('a.jpg')))?.value.state).toBe('removed');

        await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 4)).mutation);
        expect((await store.tasks.get(p, idOf('a.jpg')))?.value).toMatchObject({
          state: 'new',
          sequencer: sequencer(4),
        });
        expect(await store.tasks.counters(p)).toEqual(counters({ new: 1 }));
      });

      it('a labeled task whose blob is deleted keeps its annotation, leaves the labeled list, and returns on re-upload', async () => {
        await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 1)).mutation);
        await store.tasks.mutate(p, idOf('a.jpg'), labeledBy('alice'));
        await store.tasks.mutate(p, idOf('a.jpg'), blobDeleted(p, 'a.jpg', 2).mutation);

        const removed = (await store.tasks.get(p, idOf('a.jpg')))!.value;
        expect(removed.state).toBe('removed');
        expect(removed.annotation?.by).toBe('alice');
        expect(await allTasks(store, p, { state: 'labeled' })).toEqual([]);
        expect(await store.tasks.counters(p)).toEqual(counters({ removed: 1 }));

        await store.tasks.mutate(p, idOf('a.jpg'), blobCreated(p, facts('a.jpg', 3)).mutation);
        expect((await store.tasks.get(p, idOf('a.jpg')))!.value).toMatchObject({
          state: 'labeled',
          annotation: { by: 'alice' },
        });
        expect(await store.tasks.counters(p)).toEqual(counters({ labeled: 1 }));
      });

      it('ends, for any shuffled and duplicated create/delete events, in the state of the newest event per blob', async () => {
        let run = 0;
        const histories = fc.array(
          fc.array(fc.constantFrom('create' as const, 'delete' as const), { minLength: 1, maxLength: 4 }),
          {
            minLength: 1,
            maxLength: 5,
          },
        );
        const scenario = histories.chain((blobs) => {
          const events = blobs.flatMap((kinds, blob) => kinds.map((kind, i) => ({ blob, kind, seq: i + 1 })));
          return fc.record({
            blobs: fc.constant(blobs),
            // Every event at least once, some again; all in a random order, delivered in concurrent batches.
            deliveries: fc
              .array(fc.constantFrom(...events), { maxLength: events.length })
              .chain((extra) =>
                fc.shuffledSubarray([...events, ...extra], { minLength: events.length + extra.length }),
              ),
            batchSize: fc.integer({ min: 1, max: 6 }),
          });
        });

        await fc.assert(
          fc.asyncProperty(scenario, async ({ blobs, deliveries, batchSize }) => {
            const projectId = `prop-${run++}`;
            const items = deliveries.map((e) =>
              e.kind === 'create'
                ? blobCreated(projectId, facts(`b${e.blob}.jpg`, e.seq))
                : blobDeleted(projectId, `b${e.blob}.jpg`, e.seq),
            );
            const batches: (typeof items)[] = [];
            for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
            await Promise.all(batches.map((batch) => store.tasks.mutateMany(projectId, batch)));

            const tasks = await allTasks(store, projectId);
            expect(tasks).toHaveLength(blobs.length);
            blobs.forEach((kinds, blob) => {
              const newest = kinds.length;
              const task = tasks.find((t) => t.blobPath === `b${blob}.jpg`)!;
              expect(task.sequencer).toBe(sequencer(newest));
              if (kinds[newest - 1] === 'create') {
                expect(task.state).toBe('new');
                expect(task.eTag).toBe(facts(`b${blob}.jpg`, newest).eTag);
              } else {
                expect(task.state).toBe('removed');
              }
            });
            const live = blobs.filter((kinds) => kinds[kinds.length - 1] === 'create').length;
            expect(await store.tasks.counters(projectId)).toEqual(
              counters({ new: live, removed: blobs.length - live }),
            );
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      });
    });

    describe('listTasks', () => {
      it('pages through every task exactly once, in id order', async () => {
        const ids = await registerBlobs(25);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.tasks.list(p, { limit: 7, continuationToken: token });
          expect(page.items.length).toBeLessThanOrEqual(7);
          seen.push(...page.items.map((t) => t.id));
          token = page.continuationToken;
          pages++;
        } while (token);

        expect(pages).toBe(4);
        expect(seen).toEqual([...ids].sort());
      });

      it('filters by state and by labeler (labeled, skipped or assigned by that user), across pages', async () => {
        const ids = (await registerBlobs(12)).sort();
        for (const id of ids.slice(0, 4)) await store.tasks.mutate(p, id, labeledBy('alice'));
        for (const id of ids.slice(4, 6)) await store.tasks.mutate(p, id, skippedBy('alice'));
        for (const id of ids.slice(6, 8)) await store.tasks.mutate(p, id, labeledBy('bob'));

        expect((await allTasks(store, p, { state: 'labeled' }, 3)).map((t) => t.id)).toEqual([
          ...ids.slice(0, 4),
          ...ids.slice(6, 8),
        ]);
        expect((await allTasks(store, p, { labeler: 'alice' }, 2)).map((t) => t.id)).toEqual(ids.slice(0, 6));
        expect((await allTasks(store, p, { state: 'labeled', labeler: 'bob' }, 1)).map((t) => t.id)).toEqual(
          ids.slice(6, 8),
        );
        expect(await allTasks(store, p, { state: 'new' }, 5)).toHaveLength(4);

        const claimed = await store.tasks.claim(p, {
          max: 2,
          assignment: assignmentOf('carol'),
          order: 'shuffled',
          now,
        });
        expect((await allTasks(store, p, { labeler: 'carol' })).map((t) => t.id).sort()).toEqual(
          claimed.map((t) => t.id).sort(),
        );
      });
    });

    describe('claimTasks', () => {
      it('hands out prelabeled tasks (least confident first) before new ones, and never more than max', async () => {
        const ids = await registerBlobs(10);
        await store.tasks.mutate(p, ids[3]!, withPrelabel(0.9));
        await store.tasks.mutate(p, ids[7]!, withPrelabel(0.2));
        await store.tasks.mutate(p, ids[1]!, withPrelabel(0.5));

        const first = await store.tasks.claim(p, { max: 4, assignment: assignmentOf('alice'), order: 'shuffled', now });
        expect(first).toHaveLength(4);
        expect(first.slice(0, 3).map((t) => t.id)).toEqual([ids[7], ids[1], ids[3]]);
        expect(first.every((t) => t.state === 'assigned' && t.assignment?.labelerId === 'alice')).toBe(true);

        const rest = await store.tasks.claim(p, { max: 100, assignment: assignmentOf('bob'), order: 'shuffled', now });
        expect(rest).toHaveLength(6);
        expect(
          await store.tasks.claim(p, { max: 5, assignment: assignmentOf('carol'), order: 'shuffled', now }),
        ).toEqual([]);
        expect(await store.tasks.counters(p)).toEqual(counters({ assigned: 10 }));
      });

      it('serves new tasks by shuffle key, or scored ones least confident first', async () => {
        const ids = await registerBlobs(8);
        const tasks = await Promise.all(ids.map(async (id) => (await store.tasks.get(p, id))!.value));
        const byShuffle = [...tasks].sort((a, b) => a.shuffleKey - b.shuffleKey).map((t) => t.id);
        await store.tasks.mutate(p, byShuffle[6]!, withPrelabel(0.3, 'new'));
        await store.tasks.mutate(p, byShuffle[5]!, withPrelabel(0.1, 'new'));

        const leastConfident = await store.tasks.claim(p, {
          max: 3,
          assignment: assignmentOf('a'),
          order: 'leastConfidentFirst',
          now,
        });
        expect(leastConfident.map((t) => t.id)).toEqual([byShuffle[5], byShuffle[6], byShuffle[0]]);

        const shuffledOrder = await store.tasks.claim(p, {
          max: 3,
          assignment: assignmentOf('b'),
          order: 'shuffled',
          now,
        });
        expect(shuffledOrder.map((t) => t.id)).toEqual([byShuffle[1], byShuffle[2], byShuffle[3]]);
      });

      it('stores the assignment, so a claimed task is visible as assigned and not claimable again', async () => {
        const [id] = await registerBlobs(1);
        const [claimed] = await store.tasks.claim(p, {
          max: 1,
          assignment: assignmentOf('alice'),
          order: 'shuffled',
          now,
        });

        expect(claimed?.id).toBe(id);
        expect((await store.tasks.get(p, id!))?.value).toEqual(claimed);
        expect(claimed?.assignment).toEqual(assignmentOf('alice'));
        expect(await store.tasks.claim(p, { max: 1, assignment: assignmentOf('bob'), order: 'shuffled', now })).toEqual(
          [],
        );
      });

      it('never hands a task to two of many concurrent claimers, and hands out all when capacity allows', async () => {
        const ids = await registerBlobs(24);
        for (const id of ids.slice(0, 6)) await store.tasks.mutate(p, id, withPrelabel(0.5));

        const claims = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            store.tasks.claim(p, {
              max: 6,
              assignment: assignmentOf(`labeler-${i}`),
              order: i % 2 ? 'shuffled' : 'leastConfidentFirst',
              now,
            }),
          ),
        );

        const handedOut = claims.flat().map((t) => t.id);
        expect(new Set(handedOut).size).toBe(handedOut.length);
        expect([...handedOut].sort()).toEqual([...ids].sort());
        for (const [i, claim] of claims.entries()) {
          expect(claim.length).toBeLessThanOrEqual(6);
          for (const t of claim)
            expect((await store.tasks.get(p, t.id))?.value.assignment?.labelerId).toBe(`labeler-${i}`);
        }
        expect(await store.tasks.counters(p)).toEqual(counters({ assigned: 24 }));
      });

      it('gives concurrent claimers exactly their capacity when work is plentiful', async () => {
        await registerBlobs(30);
        const claims = await Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            store.tasks.claim(p, { max: 5, assignment: assignmentOf(`l${i}`), order: 'shuffled', now }),
          ),
        );

        expect(claims.map((c) => c.length)).toEqual([5, 5, 5, 5]);
        expect(new Set(claims.flat().map((t) => t.id)).size).toBe(20);
        expect(await store.tasks.counters(p)).toEqual(counters({ assigned: 20, new: 10 }));
      });
    });

    describe('getCounters', () => {
      it('stays non-negative and equal to a recount through a mixed workload', async () => {
        const check = async () => {
          const c = await store.tasks.counters(p);
          expect(Object.values(c.byState).every((n) => n >= 0) && c.labeledReviewed >= 0).toBe(true);
          expect(c).toEqual(await recount(store, p));
          expect(await store.tasks.counterValues(p)).toEqual(await recountAll(store, p));
          // The store's own recount agrees, and finds nothing to repair.
          expect(await store.tasks.recountCounters(p)).toEqual({ counters: c, drift: {} });
        };
        const ids = await registerBlobs(12);
        await check();
        await store.tasks.mutateMany(p, [blobCreated(p, facts('bad.gif', 1, { rejectReason: 'unsupported type' }))]);
        await store.tasks.mutate(p, ids[0]!, withPrelabel(0.3));
        await store.tasks.mutate(p, ids[1]!, withPrelabel(0.6));
        await check();
        const claimed = await store.tasks.claim(p, {
          max: 4,
          assignment: assignmentOf('alice'),
          order: 'shuffled',
          now,
        });
        await check();
        await Promise.all(claimed.map((t, i) => store.tasks.mutate(p, t.id, labeledBy('alice', i < 2))));
        await store.tasks.mutate(p, ids[11]!, skippedBy('bob'));
        await check();
        await store.tasks.mutateMany(p, [
          blobDeleted(p, 'img-000.jpg', 9),
          blobDeleted(p, 'img-005.jpg', 9),
          blobDeleted(p, 'gone.jpg', 9),
        ]);
        await check();
        await store.tasks.mutateMany(p, [
          blobCreated(p, facts('img-000.jpg', 10)),
          blobCreated(p, facts('img-005.jpg', 10)),
        ]);
        await check();

        const final = await store.tasks.counters(p);
        expect(Object.values(final.byState).reduce((a, b) => a + b, 0)).toBe(14);
        expect(final.labeledReviewed).toBe(2);
      });
    });

    describe('counterValues (the dashboard figures)', () => {
      const at = '2026-12-01T14:05:00.000Z';
      const later = '2026-12-01T15:59:59.000Z';
      // User-chosen names with the characters a key path or a document id could trip on.
      const odd = 'a.b/c~d e@x';

      async function labelSome(): Promise<string[]> {
        const ids = await registerBlobs(6);
        await store.tasks.mutate(
          p,
          ids[0]!,
          submitted('alice', at, [{ label: 'cat' }, { label: 'dog' }], { secondsOnTask: 4.25 }),
        );
        await store.tasks.mutate(
          p,
          ids[1]!,
          submitted('alice', later, [{ label: 'cat' }], {
            secondsOnTask: 30,
            prelabelOutcome: 'accepted',
            prelabelRunId: 'run-000000250',
          }),
        );
        await store.tasks.mutate(
          p,
          ids[2]!,
          submitted(odd, at, [{ label: odd }], { prelabelOutcome: 'edited', prelabelRunId: 'run-000000250' }),
        );
        await store.tasks.mutate(p, ids[3]!, skippedFor('alice', later, 'noObjects'));
        await store.tasks.mutate(p, ids[4]!, skippedFor(odd, at));
        return ids;
      }

      it('counts boxes per class, outcomes per run, time on task and hours per labeler, and filters by prefix', async () => {
        await labelSome();
        const values = await store.tasks.counterValues(p);
        const alice = `labeler.${counterSegment('alice')}`;
        const oddLabeler = `labeler.${counterSegment(odd)}`;
        expect(values).toMatchObject({
          'byState.labeled': 3,
          'byState.skipped': 2,
          'byState.new': 1,
          boxes: 4,
          'label.cat': 2,
          'label.dog': 1,
          [`label.${counterSegment(odd)}`]: 1,
          'outcome.accepted': 1,
          'outcome.edited': 1,
          'run.run-000000250.accepted': 1,
          'run.run-000000250.edited': 1,
          'skipped.noObjects': 1,
          'skipped.unspecified': 1,
          'hour.2026-12-01T14': 2,
          'hour.2026-12-01T15': 1,
          'day.2026-12-01': 3,
          [`${alice}.labeled`]: 2,
          [`${alice}.skipped`]: 1,
          [`${alice}.boxes`]: 3,
          [`${alice}.timed`]: 2,
          [`${alice}.deciseconds`]: 343,
          [`labelerHour.2026-12-01T14.alice`]: 1,
          [`labelerHour.2026-12-01T15.alice`]: 2,
          [`labelerDay.2026-12-01.alice`]: 3,
          [`${oddLabeler}.labeled`]: 1,
          [`${oddLabeler}.skipped`]: 1,
          [`${oddLabeler}.outcome.edited`]: 1,
        });
        expect(values).toEqual(await recountAll(store, p));
        expect(await store.tasks.counterValues(p, { prefixes: ['run.', 'label.'] })).toEqual({
          'run.run-000000250.accepted': 1,
          'run.run-000000250.edited': 1,
          'label.cat': 2,
          'label.dog': 1,
          [`label.${counterSegment(odd)}`]: 1,
        });
        expect(
          await store.tasks.counterValues(p, {
            prefixes: ['labelerHour.2026-12-01T14.', 'labelerHour.2026-12-01T15.'],
          }),
        ).toEqual({
          [`labelerHour.2026-12-01T14.alice`]: 1,
          [`labelerHour.2026-12-01T15.alice`]: 2,
          [`labelerHour.2026-12-01T14.${counterSegment(odd)}`]: 2,
        });
        expect(await store.tasks.counterValues('proj-b')).toEqual({});
      });

      it('reads the hour and day series only within the window asked for, every other counter whole', async () => {
        await labelSome();
        const all = await store.tasks.counterValues(p);
        const window = { hoursFrom: '2026-12-01T15', daysFrom: '2026-12-02' };
        const windowed = await store.tasks.counterValues(p, { window });
        const alice = `labeler.${counterSegment('alice')}`;
        expect(windowed).toEqual(Object.fromEntries(Object.entries(all).filter(([key]) => inWindow(key, window))));
        expect(windowed['hour.2026-12-01T15']).toBe(1);
        expect(windowed['hour.2026-12-01T14']).toBeUndefined();
        expect(windowed['day.2026-12-01']).toBeUndefined();
        expect(windowed[`labelerHour.2026-12-01T15.alice`]).toBe(2);
        expect(windowed[`labelerDay.2026-12-01.alice`]).toBeUndefined();
        expect(windowed[`${alice}.labeled`]).toBe(2);
        expect(windowed['label.cat']).toBe(2);
        const later = { hoursFrom: '2026-12-02T00', daysFrom: '2026-12-01' };
        expect(await store.tasks.counterValues(p, { prefixes: ['labeler', 'hour.'], window: later })).toEqual(
          Object.fromEntries(
            Object.entries(all).filter(
              ([key]) => (key.startsWith('labeler') || key.startsWith('hour.')) && inWindow(key, later),
            ),
          ),
        );
        expect(
          Object.keys(await store.tasks.counterValues(p, { window: later })).some((k) => k.startsWith('labelerHour')),
        ).toBe(false);
      });

      it("takes a removed image's labels out of every figure, and puts them back when the blob returns", async () => {
        await labelSome();
        const withAll = await store.tasks.counterValues(p);
        await store.tasks.mutateMany(p, [blobDeleted(p, 'img-000.jpg', 9), blobDeleted(p, 'img-001.jpg', 9)]);
        const without = await store.tasks.counterValues(p);
        expect(without['label.cat']).toBeUndefined();
        expect(without['label.dog']).toBeUndefined();
        expect(without['run.run-000000250.accepted']).toBeUndefined();
        expect(without[`labeler.alice.timed`]).toBeUndefined();
        expect(without['byState.removed']).toBe(2);
        expect(without).toEqual(await recountAll(store, p));
        await store.tasks.mutateMany(p, [
          blobCreated(p, facts('img-000.jpg', 10)),
          blobCreated(p, facts('img-001.jpg', 10)),
        ]);
        expect(await store.tasks.counterValues(p)).toEqual(withAll);
        expect((await store.tasks.recountCounters(p)).drift).toEqual({});
      });
    });
  });
}
