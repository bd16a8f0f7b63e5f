import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteLabelingRecords } from '../../adapters/sqlite/sqliteLabelingRecords';
import { SqliteLabelStore } from '../../adapters/sqlite/sqliteLabelStore';
import { batchIdFor } from '../../shared/domain/labelingIds';
import type { BlobGateway } from '../../shared/ports/blobGateway';
import { LabelingService } from '../../shared/services/labeling';
import { aProject, blobCreated, facts } from '../store/storeFixtures';

// Batch allocation over the real SQLite adapters (in memory): the paths the HTTP tests cannot stage on demand — a
// re-run of an interrupted allocation, and a claim that loses every task to a concurrent labeler.

const noBlobs: BlobGateway = {
  listBlobs: () => Promise.reject(new Error('not used')),
  readHead: () => Promise.reject(new Error('not used')),
  readUrl: (at, blobPath) => Promise.resolve(`http://blobs/${at.container}/${blobPath}?sas`),
};

let store: SqliteLabelStore;
let records: SqliteLabelingRecords;
let service: LabelingService;

async function projectWith(tasks: number, size = 5) {
  await store.insertProject(aProject('p', { batchPolicy: { size, leaseMinutes: 60 } }));
  await store.mutateTasks(
    'p',
    Array.from({ length: tasks }, (_, i) => blobCreated('p', facts(`img-${i}.jpg`, i + 1))),
  );
}

beforeEach(() => {
  store = new SqliteLabelStore(':memory:');
  records = new SqliteLabelingRecords(':memory:');
  service = new LabelingService({ store, records, blobs: noBlobs });
});
afterEach(async () => {
  await store.close();
  await records.close();
});

describe('allocating a batch', () => {
  it('claims a fresh batch without listing the labeler’s tasks (the hot path of every request)', async () => {
    await projectWith(20);
    const listing = vi.spyOn(store, 'listTasks');
    const batch = await service.allocateBatch('p', 'ann', 'r1');
    expect(batch).toMatchObject({ state: 'live', labelerId: 'ann' });
    expect(batch.taskIds).toHaveLength(5);
    expect(listing).not.toHaveBeenCalled();
  });

  it('a re-run of an interrupted allocation adopts what the first run claimed and claims only the rest', async () => {
    await projectWith(20);
    // The first run inserted its batch and claimed three tasks, then died before recording them.
    const batchId = batchIdFor('p', 'ann', 'r1');
    const leaseExpiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await records.insertBatch({
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
    const early = await store.claimTasks('p', {
      max: 3,
      assignment: { batchId, labelerId: 'ann', leaseExpiresAt },
      order: 'shuffled',
    });

    const batch = await service.allocateBatch('p', 'ann', 'r1');
    expect(batch.id).toBe(batchId);
    expect(batch.taskIds).toHaveLength(5);
    expect(batch.taskIds).toEqual(expect.arrayContaining(early.map((t) => t.id)));
    expect((await store.getCounters('p')).byState).toMatchObject({ assigned: 5, new: 15 });
  });

  it('says "ask again later" when a concurrent labeler claimed everything the counters showed', async () => {
    await projectWith(4);
    const claim = store.claimTasks.bind(store);
    // Another labeler's claim lands between this allocation's counter read and its own claim.
    vi.spyOn(store, 'claimTasks').mockImplementationOnce(async (projectId, request) => {
      await claim(projectId, {
        ...request,
        max: 100,
        assignment: { ...request.assignment, labelerId: 'bob', batchId: 'b-bob' },
      });
      return claim(projectId, request);
    });
    const batch = await service.allocateBatch('p', 'ann', 'r1');
    expect(batch).toMatchObject({
      state: 'done',
      taskIds: [],
      emptyReason: expect.stringMatching(/another labeler’s batch/),
    });
  });

  it('says nothing is left when every task is labeled', async () => {
    await projectWith(0);
    const batch = await service.allocateBatch('p', 'ann', 'r1');
    expect(batch).toMatchObject({
      state: 'done',
      taskIds: [],
      emptyReason: 'Nothing is left to label in this project.',
    });
  });
});

describe('whether training is due (submissions nudge the coordinator only then)', () => {
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
    await store.mutateTasks('p', items);
  }
  async function projectWithLabeled(n: number, enabled = true) {
    const project = aProject('p', {
      mlAssist: { enabled, initialTrainingThreshold: 10, additionalLabelsOnRejectedModel: 5 },
    });
    await store.insertProject(project);
    await labelTasks(0, n);
    return project;
  }

  it('is not due below the threshold, and due from it on until a run is requested', async () => {
    const project = await projectWithLabeled(9);
    expect(await service.trainingDue(project)).toBe(false);
    await labelTasks(9, 10);
    expect(await service.trainingDue(project)).toBe(true);
    expect(await service.evaluateTrainingTrigger('p')).toMatchObject({ threshold: 10, labeledAtRequest: 10 });
    expect(await service.trainingDue(project)).toBe(false);
  });

  it('is due again once the labels asked for after a rejected model are in', async () => {
    const project = await projectWithLabeled(14);
    await records.insertTrainingRun({
      id: 'run-000000010',
      projectId: 'p',
      state: 'rejected',
      threshold: 10,
      labeledAtRequest: 10,
      requestedAt: 'now',
      trigger: 'threshold',
    });
    expect(await service.trainingDue(project)).toBe(false);
    await labelTasks(14, 15);
    expect(await service.trainingDue(project)).toBe(true);
  });

  it('is never due with ML Assist off or in an archived project', async () => {
    const off = await projectWithLabeled(20, false);
    expect(await service.trainingDue(off)).toBe(false);
    const archived = { ...off, mlAssist: { ...off.mlAssist, enabled: true }, status: 'archived' as const };
    expect(await service.trainingDue(archived)).toBe(false);
  });
});
