import { mlAssistSchema } from '../../shared/domain/project';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { batchIdFor } from '../../shared/domain/labelingIds';
import type { BlobGateway } from '../../shared/ports/blobGateway';
import { BatchService } from '../../shared/services/batches';
import { TrainingService } from '../../shared/services/training';
import { aProject, blobCreated, blobDeleted, facts } from '../store/storeFixtures';

// Batch allocation over the real SQLite adapters (in memory): the paths the HTTP tests cannot stage on demand — a
// re-run of an interrupted allocation, and a claim that loses every task to a concurrent labeler.

const noBlobs: BlobGateway = {
  listBlobs: () => Promise.reject(new Error('not used')),
  readHead: () => Promise.reject(new Error('not used')),
  readUrl: (at, blobPath) => Promise.resolve(`http://blobs/${at.container}/${blobPath}?sas`),
  accountName: () => 'test',
  blobUrl: (at, blobPath) => `http://blobs/${at.container}/${blobPath}`,
};

let store: SqliteStore;
let service: BatchService;

async function projectWith(tasks: number, size = 5) {
  await store.projects.insert(aProject('p', { batchPolicy: { size, leaseMinutes: 60 } }));
  await store.tasks.mutateMany(
    'p',
    Array.from({ length: tasks }, (_, i) => blobCreated('p', facts(`img-${i}.jpg`, i + 1))),
  );
}

beforeEach(() => {
  store = new SqliteStore(':memory:');
  service = new BatchService({ store, blobs: noBlobs });
});
afterEach(async () => {
  await store.close();
});

describe('allocating a batch', () => {
  it('claims a fresh batch without listing the labeler’s tasks (the hot path of every request)', async () => {
    await projectWith(20);
    const listing = vi.spyOn(store.tasks, 'list');
    const batch = await service.allocate('p', 'ann', 'r1');
    expect(batch).toMatchObject({ state: 'live', labelerId: 'ann' });
    expect(batch.taskIds).toHaveLength(5);
    expect(listing).not.toHaveBeenCalled();
  });

  it('a re-run of an interrupted allocation adopts what the first run claimed and claims only the rest', async () => {
    await projectWith(20);
    // The first run inserted its batch and claimed three tasks, then died before recording them.
    const batchId = batchIdFor('p', 'ann', 'r1');
    const leaseExpiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await store.batches.insert({
      id: batchId,
      projectId: 'p',
      labelerId: 'ann',
      requestId: 'r1',
      taskIds: [],
      finishedTaskIds: [],
      createdAt: new Date().toISOString(),
      leaseExpiresAt,
      state: 'live',
    });
    const early = await store.tasks.claim('p', {
      max: 3,
      assignment: { batchId, labelerId: 'ann', leaseExpiresAt },
      order: 'shuffled',
      now: new Date().toISOString(),
    });

    const batch = await service.allocate('p', 'ann', 'r1');
    expect(batch.id).toBe(batchId);
    expect(batch.taskIds).toHaveLength(5);
    expect(batch.taskIds).toEqual(expect.arrayContaining(early.map((t) => t.id)));
    expect((await store.tasks.counters('p')).byState).toMatchObject({ assigned: 5, new: 15 });
  });

  it('says "ask again later" when a concurrent labeler claimed everything the counters showed', async () => {
    await projectWith(4);
    const claim = store.tasks.claim.bind(store.tasks);
    // Another labeler's claim lands between this allocation's counter read and its own claim.
    vi.spyOn(store.tasks, 'claim').mockImplementationOnce(async (projectId, request) => {
      await claim(projectId, {
        ...request,
        max: 100,
        assignment: { ...request.assignment, labelerId: 'bob', batchId: 'b-bob' },
      });
      return claim(projectId, request);
    });
    const batch = await service.allocate('p', 'ann', 'r1');
    expect(batch).toMatchObject({
      state: 'done',
      taskIds: [],
      emptyReason: expect.stringMatching(/another labeler’s batch/),
    });
  });

  it('says nothing is left when every task is labeled', async () => {
    await projectWith(0);
    const batch = await service.allocate('p', 'ann', 'r1');
    expect(batch).toMatchObject({
      state: 'done',
      taskIds: [],
      emptyReason: 'Nothing is left to label in this project.',
    });
  });
});

describe('batches that lost their session or their images', () => {
  it('the reconcile sweep expires batches past their lease (their session gone) and leaves the others alone', async () => {
    await projectWith(20);
    const stale = await service.allocate('p', 'ann', 'r1');
    const later = new BatchService({ store, blobs: noBlobs, now: () => new Date(Date.now() + 30 * 60_000) });
    const fresh = await later.allocate('p', 'bob', 'r1'); // its lease ends 30 minutes after ann's
    const sweeper = new BatchService({ store, blobs: noBlobs, now: () => new Date(Date.now() + 61 * 60_000) });

    expect(await sweeper.sweepExpired('p')).toBe(1);
    expect((await store.batches.get('p', stale.id))?.value.state).toBe('expired');
    expect((await store.batches.get('p', fresh.id))?.value.state).toBe('live');
    expect((await store.tasks.counters('p')).byState).toMatchObject({ assigned: 5, new: 15 });
    expect(await sweeper.sweepExpired('p')).toBe(0); // safe to repeat
  });

  it('a live batch whose remaining images were all deleted is finished, and the labeler gets new work', async () => {
    await projectWith(10);
    const batch = await service.allocate('p', 'ann', 'r1');
    const paths = await Promise.all(batch.taskIds.map(async (id) => (await store.tasks.get('p', id))!.value.blobPath));
    await store.tasks.mutateMany(
      'p',
      paths.map((blobPath) => blobDeleted('p', blobPath, 1_000)),
    );

    expect(await service.find('p', 'ann')).toBeUndefined();
    expect((await store.batches.get('p', batch.id))?.value.state).toBe('done');
    const next = await service.allocate('p', 'ann', 'r2');
    expect(next.state).toBe('live');
    expect(next.taskIds).toHaveLength(5);
    expect(next.taskIds.some((id) => batch.taskIds.includes(id))).toBe(false);
  });

  it('a live batch with an image still to label is kept', async () => {
    await projectWith(10);
    const batch = await service.allocate('p', 'ann', 'r1');
    const first = (await store.tasks.get('p', batch.taskIds[0]!))!.value.blobPath;
    await store.tasks.mutateMany('p', [blobDeleted('p', first, 1_000)]);
    expect((await service.find('p', 'ann'))?.id).toBe(batch.id);
  });
});

describe('whether training is due (submissions nudge the coordinator only then)', () => {
  const training = () => new TrainingService({ store });
  const isDue = async (project: Parameters<TrainingService['due']>[0]) => (await training().due(project)) !== undefined;
  /** Registers tasks `from`…`to - 1` as already labeled. */
  async function labelTasks(from: number, to: number) {
    const items = Array.from({ length: to - from }, (_, k) => {
      const created = blobCreated('p', facts(`img-${from + k}.jpg`, from + k + 1));
      return {
        taskId: created.taskId,
        mutation: (existing: Parameters<typeof created.mutation>[0]) => {
          const d = created.mutation(existing);
          if (d.kind !== 'write') return d;
          return {
            kind: 'write' as const,
            task: { ...d.task, state: 'labeled' as const, annotation: { boxes: [], by: 'ann', at: 'now' } },
          };
        },
      };
    });
    await store.tasks.mutateMany('p', items);
  }
  async function projectWithLabeled(n: number, enabled = true) {
    const project = aProject('p', {
      mlAssist: mlAssistSchema.parse({ enabled, initialTrainingThreshold: 10, additionalLabelsOnRejectedModel: 5 }),
    });
    await store.projects.insert(project);
    await labelTasks(0, n);
    return project;
  }

  it('is not due below the threshold, and due from it on until a run is requested', async () => {
    const project = await projectWithLabeled(9);
    expect(await isDue(project)).toBe(false);
    await labelTasks(9, 10);
    expect(await isDue(project)).toBe(true);
    expect((await training().evaluateTrigger('p')).requested).toMatchObject({ threshold: 10, labeledAtRequest: 10 });
    expect(await isDue(project)).toBe(false);
  });

  it('is due again once the labels asked for after a rejected model are in', async () => {
    const project = await projectWithLabeled(14);
    await store.trainingRuns.insert({
      id: 'run-000000010',
      projectId: 'p',
      state: 'rejected',
      threshold: 10,
      labeledAtRequest: 10,
      requestedAt: 'now',
      trigger: 'threshold',
    });
    expect(await isDue(project)).toBe(false);
    await labelTasks(14, 15);
    expect(await isDue(project)).toBe(true);
  });

  it('is never due with ML Assist off or in an archived project', async () => {
    const off = await projectWithLabeled(20, false);
    expect(await isDue(off)).toBe(false);
    const archived = { ...off, mlAssist: { ...off.mlAssist, enabled: true }, status: 'archived' as const };
    expect(await isDue(archived)).toBe(false);
  });
});

describe('viewing a batch', () => {
  it('lists every task in batch order with a read URL, reading and signing a slice per turn of the event loop', async () => {
    await projectWith(80, 75);
    const batch = await service.allocate('p', 'ann', 'r1');
    const view = await service.view((await store.projects.get('p'))!.value, batch);
    expect(view.tasks.map((t) => t.taskId)).toEqual(batch.taskIds);
    expect(view.tasks.every((t) => t.imageUrl.endsWith('?sas'))).toBe(true);
    expect(view.remaining).toBe(75);
  });

  it('a read failing while later slices wait for their turn fails the view, with nothing left unhandled', async () => {
    await projectWith(80, 75);
    const batch = await service.allocate('p', 'ann', 'r1');
    const project = (await store.projects.get('p'))!.value;
    // A plain replacement, not vi.spyOn: a spy attaches its own handler to every promise it returns, which would
    // hide exactly the unhandled rejection this test is about.
    const tasks = store.tasks;
    const get = tasks.get.bind(tasks);
    tasks.get = (projectId, taskId) =>
      taskId === batch.taskIds[0] ? Promise.reject(new Error('store unavailable')) : get(projectId, taskId);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(service.view(project, batch)).rejects.toThrow('store unavailable');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
