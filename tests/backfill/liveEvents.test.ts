import type { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { adminApi, demoContainer, uploadSmallImages, users, type ProjectView } from './helpers';

// devhost with its embedded Azurite and the blob → Event Grid bridge: every upload and delete below also arrives as
// an event, while refreshes list and reconcile the same container.

let host: RunningDevhost;
let images: ContainerClient;
const api = adminApi(() => host);

beforeAll(async () => {
  host = await startDevhost({
    users,
    services: true,
    env: { BACKFILL_PAGE_SIZE: '50', BACKFILL_CHECK_PAGE_SIZE: '50' },
  });
  const connectionString = /Azurite blob connection string: (\S+)/.exec(host.output())![1]!;
  images = await demoContainer(connectionString, 'live');
}, 120_000);

afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

/** Polls until the project's counters show what the test expects and no backfill is running. */
async function settle(expected: { total: number; removed: number }, timeoutMs = 60_000): Promise<ProjectView> {
  const deadline = Date.now() + timeoutMs;
  let last: ProjectView | undefined;
  while (Date.now() < deadline) {
    last = await api.project('live');
    const running = last.backfill && ['Pending', 'Running'].includes(last.backfill.runtimeStatus);
    if (
      !running &&
      last.counters.total === expected.total &&
      (last.counters.byState.removed ?? 0) === expected.removed
    ) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`project did not settle at ${JSON.stringify(expected)}; last: ${JSON.stringify(last)}`);
}

describe('backfill alongside live Event Grid events for the same blobs', () => {
  let truth: CocoDataset;

  it('registers each blob once whether the event or the listing gets there first', async () => {
    await api.createProject('live', 'live');
    await api.waitForBackfill('live');

    // Refreshes race the bridge's BlobCreated deliveries for the same 300 blobs.
    const uploading = uploadSmallImages(images, { count: 300, concurrency: 8 });
    const refreshes: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 400));
      refreshes.push(api.refresh('live'));
    }
    truth = await uploading;
    await Promise.all(refreshes);
    await api.refresh('live');

    await settle({ total: 300, removed: 0 });
    const tasks = await api.allTasks('live');
    expect(tasks).toHaveLength(300);
    expect(new Set(tasks.map((t) => t.blobPath))).toEqual(new Set(truth.images.map((i) => i.file_name)));
  });

  it('deletes seen by both the bridge and reconciliation remove each task once; a re-upload brings it back', async () => {
    const deleted = truth.images.slice(0, 20).map((i) => i.file_name);
    const before = (await api.project('live')).backfill!.customStatus!.startedAt;
    await Promise.all([...deleted.map((name) => images.deleteBlob(name)), api.refresh('live')]);
    await api.waitForBackfill('live', { since: before });
    await settle({ total: 280, removed: 20 });
    const removed = await api.allTasks('live', 'removed');
    expect(removed.map((t) => t.blobPath).sort()).toEqual([...deleted].sort());

    // A later upload's event (newer sequencer) wins over a removal, whichever path recorded it.
    await uploadSmallImages(images, { count: 5 });
    const settled = await settle({ total: 285, removed: 15 });
    expect(settled.counters.byState.new).toBe(285);
    expect(await api.allTasks('live')).toHaveLength(300);
  });
});
