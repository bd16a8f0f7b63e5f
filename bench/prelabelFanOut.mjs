#!/usr/bin/env node
// Prelabel fan-out over a large project, end to end on devhost + SQLite + its embedded Azurite: a run that passed the
// gate, with precomputed predictions for every unlabeled task in parts of 500 (what the local runner writes), is
// picked up by the training poll, and the applyPredictions orchestration writes them onto the tasks. Measured: from
// the run's appearance to the run `completed` with every part applied. Goal (issue 9): 100,000 tasks in ≤ 30 s.
//
//   npm run bench:prelabel -- [--tasks 100000] [--part-size 500]
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProject } from './support/cocoProject.mjs';
import { startDevhostWithStorage } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));
const { BlobTrainingFiles } = require(path.join(root, 'dist/adapters/blob/blobTrainingFiles.js'));
const { seedPrecomputedRun } = require(path.join(root, 'dist/scripts/demo/precomputedPredictions.js'));

const { values: args } = parseArgs({
  options: { tasks: { type: 'string', default: '100000' }, 'part-size': { type: 'string', default: '500' } },
});
const tasks = Number(args.tasks);
const partSize = Number(args['part-size']);
const projectId = 'fanout-bench';
const goalSeconds = 30;
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };

const host = await startDevhostWithStorage({
  root,
  users: [admin],
  env: { TRAINING_POLL_SCHEDULE: '*/1 * * * * *', RECONCILE_SCHEDULE: '0 0 0 1 1 *' },
});
const { baseUrl, connectionString, dataDir } = host;

const store = new SqliteStore(path.join(dataDir, 'labels.db'));
try {
  await store.projects.insert(
    benchProject({
      id: projectId,
      name: 'Prelabel fan-out benchmark',
      labels: ['circle', 'square'],
      container: 'coco',
      prefix: '',
      createdBy: admin.id,
    }),
  );
  const files = new BlobTrainingFiles('training', { AzureWebJobsStorage: connectionString });
  const seedStarted = performance.now();
  // The run is inserted last: the poll can only start the fan-out once every part is in place.
  const seeded = await seedPrecomputedRun({ store, files }, { projectId, container: 'coco', tasks, partSize });
  const started = performance.now();
  console.log(
    `seeded ${tasks} tasks and ${seeded.parts} prediction parts in ${((started - seedStarted) / 1000).toFixed(1)} s`,
  );
  let run;
  for (;;) {
    run = (await store.trainingRuns.get(projectId, seeded.runId)).value;
    if (run.state === 'completed') break;
    if (performance.now() - started > 600_000)
      throw new Error(`fan-out not done after 10 min: ${JSON.stringify(run.predictions)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const counters = await store.tasks.counters(projectId);
  const exact =
    run.predictions.prelabeled === seeded.expectedPrelabeled &&
    counters.byState.prelabeled === seeded.expectedPrelabeled;
  const result = {
    bench: 'prelabel fan-out',
    tasks,
    parts: seeded.parts,
    seconds: Math.round(seconds * 10) / 10,
    tasksPerSecond: Math.round(tasks / seconds),
    prelabeled: run.predictions.prelabeled,
    exact,
    goal: `≤ ${goalSeconds} s`,
    met: seconds <= goalSeconds && exact,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0].toFixed(2)}`,
    node: process.version,
    baseUrl,
  };
  console.log(JSON.stringify(result, null, 2));
  if (!exact) process.exitCode = 1;
} finally {
  await store.close();
  await host.stop();
}
