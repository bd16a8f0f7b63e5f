import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { taskIdFor, type Task } from '../../shared/domain/task';
import { cloudEventSample, eventGridSample } from '../fixtures/events/azureSamples';
import { startDevhost, testKeys, type RunningDevhost } from '../helpers/devhost';
import { createProject, fromOurAccount } from './harness';
import { jpeg, png } from './images';

// The shipped app (package.json main, built by `npm run build`) on a real devhost with Azurite and the blob → Event
// Grid bridge. The test shares the app's SQLite store file (WAL) to create projects and read tasks back.

let host: RunningDevhost;
let store: SqliteStore;
let blobService: BlobServiceClient;

beforeAll(async () => {
  host = await startDevhost({ services: true });
  const connectionString = /Azurite blob connection string: (\S+)/.exec(host.output())![1]!;
  blobService = BlobServiceClient.fromConnectionString(connectionString);
  store = new SqliteStore(path.join(host.dataDir, 'labels.db'));
});
afterAll(async () => {
  await store?.close();
  await host?.stop();
  host?.cleanup();
});

function notify(events: unknown[]) {
  const url = new URL(`${host.baseUrl}/runtime/webhooks/eventgrid`);
  url.searchParams.set('functionName', 'ingestBlobEvents');
  url.searchParams.set('code', testKeys.systemKeys.eventgrid_extension);
  return fetch(url, {
    method: 'POST',
    headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
}

async function task(projectId: string, container: string, blobPath: string): Promise<Task | undefined> {
  return (await store.tasks.get(projectId, taskIdFor(container, blobPath)))?.value;
}

async function allTasks(projectId: string): Promise<Task[]> {
  const tasks: Task[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.tasks.list(projectId, { limit: 1000, continuationToken });
    tasks.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return tasks;
}

/** When the earliest task of the demo project was written, in ms after `since` (epoch ms). */
async function firstTaskAfter(since: number): Promise<number> {
  const created = (await allTasks('demo')).map((t) => Date.parse(t.createdAt));
  return Math.min(...created) - since;
}

describe('the Event Grid webhook on devhost', () => {
  it("delivers Azure's documented samples in both schemas to ingestBlobEvents, which records them", async () => {
    await createProject(store, 'webhook-samples', { container: 'test-container' });
    await createProject(store, 'webhook-deletes', { container: 'testcontainer' });
    const created = fromOurAccount(eventGridSample('blobCreated'));
    // Delivered three times (Event Grid is at least once): still one task.
    for (let i = 0; i < 3; i++) expect((await notify([created])).status).toBe(202);
    expect((await notify([fromOurAccount(cloudEventSample('blobDeleted'))])).status).toBe(202);

    expect(await task('webhook-samples', 'test-container', 'new-file.txt')).toMatchObject({
      state: 'rejected',
      rejectReason: expect.stringMatching(/"\.txt" is not accepted/),
    });
    expect(await task('webhook-deletes', 'testcontainer', 'file-to-delete.txt')).toMatchObject({ state: 'removed' });
    expect(await allTasks('webhook-samples')).toHaveLength(1);
  });

  it('answers 202 for events it ignores (another event type, the empty ADLS CreateFile), never an error', async () => {
    const res = await notify([eventGridSample('blobTierChanged'), cloudEventSample('adlsCreateFile')]);
    expect(res.status).toBe(202);
    await host.waitForOutput(/Ignored event 831e1650-001e-001b-66ab-eeb76e069631: ADLS CreateFile of an empty file/);
  });
});

describe('uploading images to Azurite under devhost', () => {
  it('turns 500 uploaded images into 500 tasks with correct dimensions', async () => {
    const c = 'demo-images';
    await createProject(store, 'demo', { container: c });
    const container: ContainerClient = blobService.getContainerClient(c);
    await container.createIfNotExists();

    // Varied sizes and both common formats; generated before the clock starts.
    const images = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const width = 64 + (i % 50) * 4;
        const height = 48 + (i % 37) * 3;
        const name = `batch/${String(i).padStart(4, '0')}.${i % 2 ? 'jpg' : 'png'}`;
        return { name, width, height, body: i % 2 ? await jpeg(width, height) : await png(width, height) };
      }),
    );

    const started = performance.now();
    const startedAt = Date.now();
    // 50 uploads in flight.
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (cursor < images.length) {
          const image = images[cursor++]!;
          await container.getBlockBlobClient(image.name).uploadData(image.body);
        }
      }),
    );
    const uploadedMs = performance.now() - started;

    let count = 0;
    // Waits for completeness with a generous deadline; how fast it gets there is npm run bench:ingest's business.
    while (performance.now() - started < 120_000) {
      count = (await store.tasks.counters('demo')).byState.new;
      if (count >= 500) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsedMs = performance.now() - started;
    const firstTaskMs = await firstTaskAfter(startedAt);
    console.log(
      `500 images: uploaded in ${Math.round(uploadedMs)} ms; first task after ${firstTaskMs} ms; ` +
        `all 500 tasks present after ${Math.round(elapsedMs)} ms`,
    );
    expect(count).toBe(500);

    const tasks = await allTasks('demo');
    expect(tasks).toHaveLength(500);
    expect(host.output()).not.toMatch(/→ ingestBlobEvents failed/);
    const byPath = new Map(tasks.map((t) => [t.blobPath, t]));
    for (const image of images) {
      expect(byPath.get(image.name), image.name).toMatchObject({
        state: 'new',
        width: image.width,
        height: image.height,
        sizeBytes: image.body.length,
      });
    }
  });
});
