import type { ContainerClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import {
  adminApi,
  demoContainer,
  headersFor,
  labeler,
  startStandaloneAzurite,
  uploadSmallImages,
  users,
  type BackfillView,
} from './helpers';

// One Azurite that outlives devhost (so blobs can change while the app is down or after it is killed) and one
// devhost on a fixed data dir, restarted by the tests that need it. No Event Grid bridge: only backfill registers.

type Azurite = Awaited<ReturnType<typeof startStandaloneAzurite>>;

let azurite: Azurite;
let host: RunningDevhost;
let dataDir: string;
const api = adminApi(() => host);

async function launch(): Promise<RunningDevhost> {
  return startDevhost({
    dataDir,
    services: false,
    users,
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      // Small pages so a 2,000-blob listing takes many steps, as a 100K one would, and crosses the orchestrator's
      // continueAsNew (every 20 pages).
      BACKFILL_PAGE_SIZE: '100',
      BACKFILL_CHECK_PAGE_SIZE: '100',
    },
  });
}

beforeAll(async () => {
  azurite = await startStandaloneAzurite();
  dataDir = mkdtempSync(path.join(tmpdir(), 'backfill-devhost-'));
  host = await launch();
}, 120_000);

afterAll(async () => {
  await host?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await azurite?.stop();
  azurite?.cleanup();
});

describe('backfill of a container that already holds images', () => {
  let images: ContainerClient;
  let truth: CocoDataset;

  beforeAll(async () => {
    images = await demoContainer(azurite.connectionString, 'two-thousand');
    truth = await uploadSmallImages(images, { count: 2000 });
  }, 120_000);

  it('registers exactly 2,000 tasks with their dimensions, and shows progress while it runs', async () => {
    const seen: BackfillView[] = [];
    const created = await api.createProject('two-thousand', 'two-thousand');
    expect(created.backfill).toMatchObject({ instanceId: 'backfill-two-thousand' });

    const done = await api.waitForBackfill('two-thousand', { onStatus: (b) => seen.push(b), timeoutMs: 90_000 });

    const midRun = seen.filter(
      (b) => b.runtimeStatus === 'Running' && b.customStatus!.registered > 0 && b.customStatus!.registered < 2000,
    );
    expect(midRun.length).toBeGreaterThan(0);
    expect(midRun[0]!.customStatus).toMatchObject({ phase: 'listing' });
    expect(done.backfill!.customStatus).toMatchObject({
      phase: 'completed',
      pagesListed: 20,
      blobsSeen: 2000,
      registered: 2000,
      alreadyKnown: 0,
      rejected: 0,
    });
    expect(done.counters.total).toBe(2000);
    expect(done.counters.byState.new).toBe(2000);

    const tasks = await api.allTasks('two-thousand');
    expect(tasks).toHaveLength(2000);
    const sizes = new Map(truth.images.map((i) => [i.file_name, `${i.width}x${i.height}`]));
    expect(new Set(tasks.map((t) => t.blobPath))).toEqual(new Set(sizes.keys()));
    for (const t of tasks) expect(`${t.width}x${t.height}`).toBe(sizes.get(t.blobPath));
  });

  it('refresh after 100 more uploads registers exactly those 100', async () => {
    const before = (await api.project('two-thousand')).backfill!.customStatus!.startedAt;
    await uploadSmallImages(images, { count: 100, start: 2000 });

    const refresh = await api.call('POST', 'projects/two-thousand/refresh');
    expect(refresh.status).toBe(202);
    expect(refresh.headers.get('location')).toBe('/api/projects/two-thousand');
    expect(refresh.body).toMatchObject({ instanceId: 'backfill-two-thousand', started: true });

    const done = await api.waitForBackfill('two-thousand', { since: before });
    expect(done.backfill!.customStatus).toMatchObject({
      phase: 'completed',
      blobsSeen: 2100,
      registered: 100,
      alreadyKnown: 2000,
      // The 2,000 older tasks were checked against storage; all still exist.
      tasksChecked: 2000,
      markedRemoved: 0,
    });
    expect(done.counters.total).toBe(2100);
    expect(await api.allTasks('two-thousand')).toHaveLength(2100);
  });

  it('running it again, twice at once, joins one run and duplicates nothing', async () => {
    const before = (await api.project('two-thousand')).backfill!.customStatus!.startedAt;
    const runs = await Promise.all([api.refresh('two-thousand'), api.refresh('two-thousand')]);
    expect(runs.map((r) => r.started).sort()).toEqual([false, true]);

    const done = await api.waitForBackfill('two-thousand', { since: before });
    expect(done.backfill!.customStatus).toMatchObject({ blobsSeen: 2100, registered: 0, alreadyKnown: 2100 });
    expect(done.counters.total).toBe(2100);
    const tasks = await api.allTasks('two-thousand');
    expect(new Set(tasks.map((t) => t.blobPath)).size).toBe(2100);
  });

  it('answers 401 without credentials, 404 for an unknown project', async () => {
    const anonymous = await fetch(`${host.baseUrl}/api/projects/two-thousand/refresh`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await api.call('POST', 'projects/no-such-project/refresh');
    expect(unknown.status).toBe(404);
  });

  it('answers 403 to a labeler', async () => {
    const res = await fetch(`${host.baseUrl}/api/projects/two-thousand/refresh`, {
      method: 'POST',
      headers: headersFor(labeler),
    });
    expect(res.status).toBe(403);
  });
});

describe('crashes, missed events and the reconcile timer', () => {
  it('completes with the exact count after kill -9 in the middle of a backfill', async () => {
    // A second project on the same 2,100-blob container: 21 pages of 100.
    await api.createProject('killed-mid-run', 'two-thousand');
    let progress: BackfillView | null = null;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
      progress = (await api.project('killed-mid-run')).backfill;
      if ((progress?.customStatus?.pagesListed ?? 0) >= 2) break;
    }
    expect(progress!.runtimeStatus).toBe('Running');
    expect(progress!.customStatus!.pagesListed).toBeLessThan(21);

    await host.stop('SIGKILL');
    host = await launch();

    const done = await api.waitForBackfill('killed-mid-run', { timeoutMs: 90_000 });
    const status = done.backfill!.customStatus!;
    expect(status).toMatchObject({ phase: 'completed', blobsSeen: 2100, pagesListed: 21 });
    // The page in flight at the kill ran again: what it had registered then shows up as already known.
    expect(status.registered + status.alreadyKnown).toBe(2100);
    expect(done.counters.total).toBe(2100);
    expect(await api.allTasks('killed-mid-run')).toHaveLength(2100);
  });

  it('marks blobs deleted while the app was down as removed, and only those', async () => {
    const images = await demoContainer(azurite.connectionString, 'gone-while-down');
    const truth = await uploadSmallImages(images, { count: 30 });
    await api.createProject('gone-while-down', 'gone-while-down');
    const first = await api.waitForBackfill('gone-while-down');
    expect(first.counters.total).toBe(30);

    await host.stop();
    const deleted = truth.images.slice(0, 3).map((i) => i.file_name);
    for (const name of deleted) await images.deleteBlob(name);
    host = await launch();

    const since = first.backfill!.customStatus!.startedAt;
    await api.refresh('gone-while-down');
    const done = await api.waitForBackfill('gone-while-down', { since });
    expect(done.backfill!.customStatus).toMatchObject({ blobsSeen: 27, tasksChecked: 30, markedRemoved: 3 });
    expect(done.counters.total).toBe(27);
    expect(done.counters.byState.removed).toBe(3);
    const removed = await api.allTasks('gone-while-down', 'removed');
    expect(removed.map((t) => t.blobPath).sort()).toEqual([...deleted].sort());

    // Removed tasks are not checked again; nothing else changes.
    const again = done.backfill!.customStatus!.startedAt;
    await api.refresh('gone-while-down');
    const second = await api.waitForBackfill('gone-while-down', { since: again });
    expect(second.backfill!.customStatus).toMatchObject({ tasksChecked: 27, markedRemoved: 0, registered: 0 });
    expect(second.counters.total).toBe(27);
  });

  it('the reconcile timer starts a run only for projects whose interval has elapsed', async () => {
    const invokeTimer = async () => {
      const res = await fetch(`${host.baseUrl}/admin/functions/reconcileProjects?code=${host.keys.masterKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: '' }),
      });
      expect(res.status).toBe(202);
    };
    // Every project finished a run moments ago (interval: the default 60 minutes): nothing is due.
    const before = (await api.project('gone-while-down')).backfill!;
    await invokeTimer();
    await host.waitForOutput(/Reconcile: 0 run\(s\) started over 3 project\(s\)/);
    expect((await api.project('gone-while-down')).backfill!.createdTime).toBe(before.createdTime);

    // Without a record of a last run (history purged), the project is due.
    const durable = `${host.baseUrl}/runtime/webhooks/durabletask/instances/backfill-gone-while-down`;
    const purge = await fetch(`${durable}?code=${host.keys.systemKeys.durabletask_extension}`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    await invokeTimer();
    await host.waitForOutput(/Reconcile: 1 run\(s\) started over 3 project\(s\)/);
    const done = await api.waitForBackfill('gone-while-down');
    expect(done.backfill!.customStatus).toMatchObject({ phase: 'completed', blobsSeen: 27, registered: 0 });
    expect(done.counters.total).toBe(27);
  });
});

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
