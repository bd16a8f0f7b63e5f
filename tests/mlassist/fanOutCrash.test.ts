import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTrainingFiles } from '../../adapters/blob/blobTrainingFiles';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { seedPrecomputedRun, type PrecomputedRun } from '../../scripts/demo/precomputedPredictions';
import type { Task } from '../../shared/domain/task';
import { adminApi, demoContainer, startStandaloneAzurite, users } from '../backfill/helpers';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { admin, labelingApi, sleep, waitFor } from '../labeling/harness';
import { trainingRuns } from './harness';

// The prelabel fan-out survives a crash: devhost is SIGKILLed while it writes a run's predictions onto 20,000 tasks
// (400 parts), restarted on the same data, and the run ends with every task written once: exact prelabel counts,
// no task missed, none written twice. Azurite outlives devhost (the predictions live there).

type Azurite = Awaited<ReturnType<typeof startStandaloneAzurite>>;
const projectId = 'fanout-crash';
const tasks = 20_000;

let azurite: Azurite;
let host: RunningDevhost;
let dataDir: string;
let store: SqliteStore;
let seeded: PrecomputedRun;
const api = labelingApi(() => host);

async function launch(): Promise<RunningDevhost> {
  return startDevhost({
    dataDir,
    services: false,
    users: [...users, admin],
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      TRAINING_POLL_SCHEDULE: '*/1 * * * * *',
      RECONCILE_SCHEDULE: '0 0 0 1 1 *',
    },
  });
}

beforeAll(async () => {
  azurite = await startStandaloneAzurite();
  dataDir = mkdtempSync(path.join(tmpdir(), 'fanout-crash-'));
  host = await launch();
  await demoContainer(azurite.connectionString, projectId);
  await adminApi(() => host).createProject(projectId, projectId);
  await adminApi(() => host).waitForBackfill(projectId);
  store = new SqliteStore(path.join(dataDir, 'labels.db'));
  const files = new BlobTrainingFiles('training', { AzureWebJobsStorage: azurite.connectionString });
  seeded = await seedPrecomputedRun({ store, files }, { projectId, container: projectId, tasks, partSize: 50 });
}, 180_000);

afterAll(async () => {
  await host?.stop();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await azurite?.stop();
  azurite?.cleanup();
});

describe('prelabel fan-out and a crash', () => {
  it('resumes after SIGKILL mid-fan-out with exact prelabel counts, no gaps and no duplicates', async () => {
    // Kill once a good share of the parts is written, and well before the last.
    const midway = await waitFor(
      'the fan-out to be under way',
      120_000,
      async () => {
        const run = (await trainingRuns(api, projectId))[0];
        const applied = run?.predictions?.partsApplied ?? 0;
        return applied >= 40 ? run : undefined;
      },
      20,
    );
    await host.stop('SIGKILL');
    expect(midway.predictions!.partsApplied).toBeLessThan(seeded.parts);

    await sleep(200);
    host = await launch();
    const run = await waitFor(
      'the run to complete after the restart',
      180_000,
      async () => {
        const r = (await trainingRuns(api, projectId))[0];
        return r?.state === 'completed' ? r : undefined;
      },
      200,
    );

    expect(run.predictions).toEqual({
      parts: seeded.parts,
      partsApplied: seeded.parts,
      prelabeled: seeded.expectedPrelabeled,
      scored: tasks,
    });
    const all: Task[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await store.tasks.list(projectId, {
        limit: 5000,
        ...(continuationToken ? { continuationToken } : {}),
      });
      all.push(...page.items);
      continuationToken = page.continuationToken;
    } while (continuationToken);
    expect(all).toHaveLength(tasks);
    expect(all.every((t) => t.modelScore?.modelRunId === run.id)).toBe(true);
    const prelabeled = all.filter((t) => t.state === 'prelabeled');
    expect(prelabeled).toHaveLength(seeded.expectedPrelabeled);
    expect(prelabeled.every((t) => t.prelabel?.modelRunId === run.id)).toBe(true);
    expect((await store.tasks.counters(projectId)).byState.prelabeled).toBe(seeded.expectedPrelabeled);
  }, 420_000);
});
