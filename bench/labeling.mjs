#!/usr/bin/env node
// Labeling workflow under load, end to end over real HTTP against devhost + SQLite: batch allocation latency with N
// concurrent labelers on a COCO-train-sized project (118,287 tasks), submit latency and sustained submissions/s,
// and the time from the 250th labeled image to the training request.
//
// The tasks (and the project, and its members) are written straight into devhost's SQLite file before it starts:
// far cheaper than ingesting 118K blobs, and the labeling path never reads a blob (image URLs are SAS-signed
// offline), so none need exist. Incremental refresh is off, so no reconcile run ever looks at the empty storage.
//
// Two phases on one devhost: flat out (every labeler submits back to back: throughput, and latency under
// saturation) and paced (each labeler pauses ~--think-ms before each submission: latency at a high but not
// saturating load). Results go to bench/results/labeling.json.
//
// Usage: npm run bench:labeling [-- --labelers 20 --rounds 8 --think-ms 40 --tasks 118287 --cpu-prof --prof-dir <dir>
//        --dump <file prefix>]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProject, cocoTask } from './support/cocoProject.mjs';
import { waitForReady } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));

const { values: args } = parseArgs({
  options: {
    labelers: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '8' },
    'think-ms': { type: 'string', default: '40' },
    tasks: { type: 'string', default: '118287' },
    'cpu-prof': { type: 'boolean', default: false },
    'prof-dir': { type: 'string', default: 'bench/results/profiles' },
    keep: { type: 'boolean', default: false },
    /** Writes every timed request as [startMs, kind, ms] lines, for looking at where the tail comes from. */
    dump: { type: 'string' },
  },
});
const labelerCount = Number(args.labelers);
const rounds = Number(args.rounds);
const taskCount = Number(args.tasks);
const projectId = 'coco-train';
const container = 'coco';
const threshold = 250;
const goals = { allocationP99Ms: 250, submitP99Ms: 50, submissionsPerSecond: 500, trainingRequestMs: 2000 };

const keys = {
  masterKey: 'bench-master',
  systemKeys: { durabletask_extension: 'bench-durable', eventgrid_extension: 'bench-eg' },
  functionKeys: { default: 'bench-fn' },
};
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };
const labelers = Array.from({ length: labelerCount }, (_, i) => {
  const id = `labeler-${String(i + 1).padStart(2, '0')}`;
  return { id, name: id, roles: ['labeler'], token: `${id}-token` };
});

// ---------------------------------------------------------------- seeding

/** Registers the tasks as ingestion would (one BlobCreated decision per image), in large transactions. */
async function seed(dataDir) {
  const file = path.join(dataDir, 'labels.db');
  const store = new SqliteStore(file);
  const now = new Date().toISOString();
  const t0 = performance.now();
  try {
    await store.projects.insert(
      benchProject({
        id: projectId,
        name: 'COCO train2017 (benchmark)',
        labels: ['person', 'bicycle', 'car', 'dog', 'cat'],
        container,
        mlAssist: { initialTrainingThreshold: threshold },
        createdBy: admin.id,
      }),
    );
    const chunk = 10_000;
    for (let start = 0; start < taskCount; start += chunk) {
      const items = [];
      for (let i = start; i < Math.min(taskCount, start + chunk); i++)
        items.push(cocoTask(projectId, container, i, now));
      await store.tasks.mutateMany(projectId, items);
    }
    for (const l of labelers) {
      await store.members.put({ projectId, userId: l.id, role: 'labeler', addedAt: now, addedBy: admin.id });
    }
    const registered = (await store.tasks.counters(projectId)).byState.new;
    if (registered !== taskCount) throw new Error(`seeded ${registered} tasks, expected ${taskCount}`);
  } finally {
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------- devhost

async function startHost(dataDir) {
  writeFileSync(path.join(dataDir, 'host-keys.json'), JSON.stringify(keys));
  writeFileSync(path.join(dataDir, 'users.json'), JSON.stringify({ users: [admin, ...labelers] }));
  const profileDir = path.resolve(root, args['prof-dir']);
  if (args['cpu-prof']) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...nodeArgs, 'dist/devhost/cli.js', '--no-services'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      DEVHOST_LOG_INVOCATIONS: '0',
      // Read URLs are signed with the account key; nothing is fetched, so no storage needs to run.
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await waitForReady(child);
  return {
    baseUrl,
    async stop() {
      // SIGINT lets --cpu-prof write its profile on the way out.
      child.kill(args['cpu-prof'] ? 'SIGINT' : 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      if (args['cpu-prof'])
        console.log(`devhost CPU profile written to ${profileDir} (CPU.*.${child.pid}.*.cpuprofile)`);
    },
  };
}

// ---------------------------------------------------------------- measuring

async function call(host, method, route, token, body, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(`${host.baseUrl}/api/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - t0 };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 10) / 10;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1)),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * N labelers, each: request a batch (timed until the batch is in hand, 202 retries included), submit one box for
 * every task in it (each PUT timed), repeat for `rounds` batches. `thinkMs` > 0 paces each labeler (a random pause
 * of 0.5–1.5 × thinkMs before each submission, and a random start) instead of submitting flat out. `onAccepted`
 * sees every accepted submission.
 */
async function labelingDay(host, { phase, thinkMs = 0, coldStart = false, onAccepted = () => undefined }) {
  const allocations = [];
  const firstAllocations = [];
  const submits = [];
  const timeline = [];
  let answers202 = 0;

  const labeler = async (user) => {
    if (thinkMs > 0) await sleep(Math.random() * thinkMs * 75);
    for (let round = 0; round < rounds; round++) {
      const t0 = performance.now();
      let batch;
      for (;;) {
        const res = await call(host, 'POST', `projects/${projectId}/batches`, user.token, undefined, {
          'idempotency-key': `${phase}-${user.id}-${round}`,
        });
        if (res.status === 200) {
          batch = res.body;
          break;
        }
        if (res.status !== 202) throw new Error(`POST batches → ${res.status} ${JSON.stringify(res.body)}`);
        answers202++;
      }
      (coldStart && round === 0 ? firstAllocations : allocations).push(performance.now() - t0);
      timeline.push([t0, 'allocate', performance.now() - t0]);
      if (batch.tasks.length === 0) throw new Error(`empty batch: ${batch.reason}`);
      for (const t of batch.tasks) {
        const owner = served.get(t.taskId);
        if (owner && owner !== batch.batchId)
          throw new Error(`task ${t.taskId} in batches ${owner} and ${batch.batchId}`);
        served.set(t.taskId, batch.batchId);
      }
      for (const t of batch.tasks) {
        if (thinkMs > 0) await sleep(thinkMs * (0.5 + Math.random()));
        const res = await call(host, 'PUT', `projects/${projectId}/tasks/${t.taskId}/annotation`, user.token, {
          boxes: [{ label: 'person', x: 100, y: 80, width: 120, height: 200 }],
          secondsOnTask: 4,
        });
        if (res.status !== 200) throw new Error(`PUT annotation → ${res.status} ${JSON.stringify(res.body)}`);
        submits.push(res.ms);
        timeline.push([performance.now() - res.ms, 'submit', res.ms]);
        if (!res.body.unchanged) onAccepted();
      }
    }
  };

  const t0 = performance.now();
  await Promise.all(labelers.map(labeler));
  const seconds = (performance.now() - t0) / 1000;
  if (args.dump) writeFileSync(`${args.dump}.${phase}.jsonl`, timeline.map((x) => JSON.stringify(x)).join('\n') + '\n');
  return {
    allocation: summary(allocations),
    ...(coldStart ? { firstAllocation: summary(firstAllocations) } : {}),
    submit: summary(submits),
    submissionsPerSecond: Math.round(submits.length / seconds),
    submissions: submits.length,
    seconds: Math.round(seconds * 10) / 10,
    answers202,
  };
}

/** Every task handed out so far → its batch: no task may ever be in two batches. */
const served = new Map();

/**
 * The flat-out day, with a watcher that polls the training runs every 10 ms from the 250th accepted submission on
 * (as a dashboard would) and reports how long the request took to appear.
 */
async function flatOutWithTrainingWatch(host) {
  let accepted = 0;
  let crossedAt;
  let requestSeenAt;
  let stop = false;
  const watcher = (async () => {
    while (!stop && requestSeenAt === undefined) {
      if (crossedAt !== undefined) {
        const runs = await call(host, 'GET', `projects/${projectId}/training-runs`, admin.token);
        if (runs.body.items.length > 0) requestSeenAt = performance.now();
      }
      await sleep(10);
    }
  })();
  const day = await labelingDay(host, {
    phase: 'flat-out',
    coldStart: true,
    onAccepted: () => {
      if (++accepted === threshold) crossedAt = performance.now();
    },
  });
  // A little grace for the request if the day ended first (it should not).
  const graceEnd = performance.now() + 10_000;
  while (requestSeenAt === undefined && performance.now() < graceEnd) await sleep(10);
  stop = true;
  await watcher;
  const runs = (await call(host, 'GET', `projects/${projectId}/training-runs`, admin.token)).body.items;
  const ms = requestSeenAt !== undefined && crossedAt !== undefined ? Math.round(requestSeenAt - crossedAt) : null;
  return {
    day,
    trainingRequest: {
      ms,
      runs: runs.map((r) => ({ threshold: r.threshold, labeledAtRequest: r.labeledAtRequest, state: r.state })),
    },
  };
}

const line = (label, s, goal) =>
  `  ${label.padEnd(18)} p50 ${s.p50} ms  p99 ${s.p99} ms  max ${s.max} ms  (n=${s.n}${goal ? `; goal p99 ≤ ${goal} ms` : ''})`;

function printDay(title, day) {
  console.log(`\n${title}`);
  console.log(line('batch allocation', day.allocation, goals.allocationP99Ms));
  if (day.firstAllocation) {
    console.log(line('first allocation', day.firstAllocation) + '  ← each labeler’s first: session start included');
  }
  console.log(line('submit', day.submit, goals.submitP99Ms));
  console.log(
    `  ${'throughput'.padEnd(18)} ${day.submissionsPerSecond} submissions/s (${day.submissions} in ${day.seconds} s, allocations included)`,
  );
  if (day.answers202) console.log(`  ${'202 answers'.padEnd(18)} ${day.answers202}`);
}

// ---------------------------------------------------------------- main

const dataDir = mkdtempSync(path.join(tmpdir(), 'labeling-bench-'));
let host;
try {
  console.log(`Seeding ${taskCount} tasks and ${labelerCount} members into ${dataDir} …`);
  const seedSeconds = await seed(dataDir);
  console.log(`  seeded in ${seedSeconds.toFixed(1)} s`);
  host = await startHost(dataDir);
  const loadBefore = loadavg()[0];

  const flatOut = await flatOutWithTrainingWatch(host);
  const paced = await labelingDay(host, { phase: 'paced', thinkMs: Number(args['think-ms']) });
  const loadAfter = loadavg()[0];

  const { day, trainingRequest } = flatOut;
  const results = {
    flatOut: {
      ...day,
      goals: {
        allocationP99: day.allocation.p99 <= goals.allocationP99Ms,
        submitP99: day.submit.p99 <= goals.submitP99Ms,
        submissionsPerSecond: day.submissionsPerSecond >= goals.submissionsPerSecond,
      },
    },
    paced: { thinkMs: Number(args['think-ms']), ...paced },
    trainingRequest: {
      ...trainingRequest,
      goalMs: goals.trainingRequestMs,
      met:
        trainingRequest.ms !== null &&
        trainingRequest.ms <= goals.trainingRequestMs &&
        trainingRequest.runs.length === 1,
    },
    tasksServed: served.size,
    loadAverage: { before: loadBefore, after: loadAfter },
  };

  printDay(
    `Flat out: ${labelerCount} labelers submitting back to back, ${rounds} batches each, on ${taskCount} tasks`,
    day,
  );
  console.log(`  ${'goal'.padEnd(18)} ≥ ${goals.submissionsPerSecond} submissions/s`);
  console.log(
    `  ${'training request'.padEnd(18)} seen ${trainingRequest.ms} ms after the ${threshold}th submission; ` +
      `${trainingRequest.runs.length} run(s) (goal ≤ ${goals.trainingRequestMs} ms, exactly one)`,
  );
  printDay(
    `Paced: the same labelers pausing ~${args['think-ms']} ms before each submission (still far faster than people)`,
    paced,
  );
  console.log(
    `\n${served.size} tasks served, none twice. Load average (1 min) before/after: ${loadBefore.toFixed(2)}/${loadAfter.toFixed(2)}`,
  );

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench/results/labeling.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        command: ['npm run bench:labeling', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
          ' ',
        ),
        setup: {
          tasks: taskCount,
          labelers: labelerCount,
          rounds,
          batchSize: 75,
          seedSeconds: Math.round(seedSeconds),
        },
        results,
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  await host?.stop();
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
}
