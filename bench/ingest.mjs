#!/usr/bin/env node
// Ingestion benchmark: BlobCreated events through devhost's Event Grid webhook into the SQLite label store.
//
//   npm run bench:ingest                      # 118,287 events (COCO train2017's image count)
//   npm run bench:ingest -- --count 10000     # quick check
//   options: --concurrency 96 (events in flight) --upload-concurrency 64 --cpu-prof (profile devhost)
//            --storage memory|azurite (default memory: see bench/support/memoryBlobServer.mjs for why)
//
// Setup (not timed): blob storage (an in-memory Blob service, or Azurite), `count` tiny real PNGs (one 16×16 buffer
// under many names, so header reads work), a project inserted straight into the store, devhost without its bridge
// (only the benchmark's events arrive). Timed: one event per POST, as Event Grid delivers, with increasing sequencers; events/s is the
// rate at which the webhook accepted them, "all tasks exist" is when the store's counters reach `count`.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { startCosmosServerProcess } from './support/cosmosServerProcess.mjs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitForReady } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { BlobServiceClient } = require('@azure/storage-blob');
const Database = require('better-sqlite3');
const { planImage, renderImage } = require(path.join(root, 'dist/scripts/demo/syntheticImages.js'));
const { forEachLimit } = require(path.join(root, 'dist/scripts/demo/demoUpload.js'));
const { projectCreateSchema } = require(path.join(root, 'dist/shared/domain/project.js'));
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));
const { createCosmosStore } = require(path.join(root, 'dist/adapters/cosmos/cosmosStore.js'));

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '118287' },
    concurrency: { type: 'string', default: '96' },
    'upload-concurrency': { type: 'string', default: '64' },
    'cpu-prof': { type: 'boolean', default: false },
    storage: { type: 'string', default: 'memory' },
    store: { type: 'string', default: 'sqlite' },
  },
});
if (!['sqlite', 'cosmos'].includes(args.store)) throw new Error('--store must be sqlite or cosmos');
const count = Number(args.count);
const concurrency = Number(args.concurrency);
const uploadConcurrency = Number(args['upload-concurrency']);
if (!['memory', 'azurite'].includes(args.storage)) throw new Error('--storage must be memory or azurite');
if (![count, concurrency, uploadConcurrency].every((n) => Number.isInteger(n) && n > 0)) {
  throw new Error('--count, --concurrency and --upload-concurrency must be positive integers');
}

const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const keys = {
  masterKey: 'bench-master',
  systemKeys: { durabletask_extension: 'bench-durable', eventgrid_extension: 'bench-eg' },
  functionKeys: { default: 'bench-fn' },
};
const container = 'bench';
const projectId = 'bench-ingest';
const ingestFunction = 'ingestBlobEvents';
const blobName = (i) => `train/img-${String(i).padStart(7, '0')}.png`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const canConnect = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function startAzurite(workDir) {
  const pkgFile = require.resolve('azurite/package.json');
  const bin = path.resolve(path.dirname(pkgFile), JSON.parse(readFileSync(pkgFile, 'utf8')).bin['azurite-blob']);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    process.execPath,
    [bin, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence'].concat([
      '--silent',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ]),
    // In memory: 118K blobs in LokiJS on disk would make the untimed upload the slowest part by far.
    { cwd: workDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; !(await canConnect(port)); i++) {
    if (i > 300 || child.exitCode !== null) throw new Error('Azurite did not start');
    await sleep(50);
  }
  const blobEndpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
  return {
    child,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};BlobEndpoint=${blobEndpoint};`,
  };
}

async function startMemoryStorage() {
  const child = spawn(process.execPath, [path.join(root, 'bench/support/memoryBlobServer.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`blob server exited (${code})`)));
  });
  return { child, ...JSON.parse(line) };
}

/** POSTs with a keep-alive agent: fetch (undici) costs the client ~1.3 ms of CPU per request, node:http far less. */
function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function startDevhost(dataDir, connectionString, extraEnv = {}) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'host-keys.json'), JSON.stringify(keys));
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...nodeArgs, 'dist/devhost/cli.js', '--no-services'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      AzureWebJobsStorage: connectionString,
      DEVHOST_LOG_INVOCATIONS: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await waitForReady(child);
  return { child, baseUrl };
}

/** CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function cpuSnapshot(pids) {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
}

function progressLine(label, done, total, started) {
  const s = (performance.now() - started) / 1000;
  const line = `${label}: ${done}/${total} (${Math.round(done / s)}/s)`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || done % Math.ceil(total / 10) === 0) console.log(line);
}

/** Event Grid's EventGridEvent schema for a PutBlob, as Azure Storage publishes it. */
function blobCreatedEvent(i, blobEndpoint, sizeBytes) {
  const name = blobName(i);
  return [
    {
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      subject: `/blobServices/default/containers/${container}/blobs/${name}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      id: randomUUID(),
      data: {
        api: 'PutBlob',
        clientRequestId: randomUUID(),
        requestId: randomUUID(),
        eTag: `0x8D${(0x1000000 + i).toString(16).toUpperCase()}`,
        contentType: 'image/png',
        contentLength: sizeBytes,
        blobType: 'BlockBlob',
        url: `${blobEndpoint}/${container}/${name}`,
        sequencer: (i + 1).toString(16).padStart(32, '0'),
        storageDiagnostics: { batchId: randomUUID() },
      },
      dataVersion: '',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    },
  ];
}

const workDir = mkdtempSync(path.join(tmpdir(), 'bench-ingest-'));
// Outside workDir, which is removed at the end.
const profileDir = path.join(tmpdir(), `bench-ingest-profile-${process.pid}`);
const storage = args.storage === 'azurite' ? await startAzurite(workDir) : await startMemoryStorage();
let devhost;
try {
  // ---------------------------------------------------------------- setup (not timed)
  const plan = planImage(0, { minSize: 16, maxSize: 16, minObjects: 1, maxObjects: 1, formats: ['png'] });
  const png = await renderImage(plan);
  const blobs = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(container);
  await blobs.createIfNotExists();
  let uploaded = 0;
  const uploadStart = performance.now();
  await forEachLimit(count, uploadConcurrency, async (i) => {
    await blobs.getBlockBlobClient(blobName(i)).uploadData(png, { blobHTTPHeaders: { blobContentType: 'image/png' } });
    progressLine('uploading', ++uploaded, count, uploadStart);
  });

  const dataDir = path.join(workDir, 'data');
  const cosmosServer = args.store === 'cosmos' ? await startCosmosServerProcess() : undefined;
  const cosmos = cosmosServer && { ...cosmosServer, env: { ...cosmosServer.env, COSMOS_DATABASE: 'bench' } };
  const store = cosmos
    ? createCosmosStore({ ...process.env, ...cosmos.env })
    : new SqliteStore(path.join(dataDir, 'labels.db'));
  const spec = projectCreateSchema.parse({
    id: projectId,
    name: 'Ingestion benchmark',
    type: 'objectDetection',
    labels: [{ name: 'circle' }, { name: 'square' }, { name: 'triangle' }],
    dataset: { container },
    // Off: the reconcile timer must not start a listing of the container during the run.
    incrementalRefresh: { enabled: false, intervalMinutes: 60 },
  });
  const now = new Date().toISOString();
  await store.projects.insert({ ...spec, status: 'active', createdAt: now, createdBy: 'bench', updatedAt: now });
  if (!cosmos) await store.close();

  devhost = await startDevhost(dataDir, storage.connectionString, cosmos?.env);
  // Progress comes from the store's counters: SQLite read-only on the file, Cosmos through the adapter.
  const counters = cosmos ? undefined : new Database(path.join(dataDir, 'labels.db'), { readonly: true });
  const sum = (c, states) => states.reduce((n, st) => n + (c.byState[st] ?? 0), 0);
  const liveTasks = cosmos
    ? { get: async (id) => ({ n: sum(await store.tasks.counters(id), ['new', 'rejected']) }) }
    : counters.prepare(
        "SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE project_id = ? AND name IN ('byState.new', 'byState.rejected')",
      );
  const rejected = cosmos
    ? { get: async (id) => ({ n: sum(await store.tasks.counters(id), ['rejected']) }) }
    : counters.prepare(
        "SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE project_id = ? AND name = 'byState.rejected'",
      );

  // ---------------------------------------------------------------- timed
  const webhook = `${devhost.baseUrl}/runtime/webhooks/eventgrid?functionName=${ingestFunction}&code=${keys.systemKeys.eventgrid_extension}`;
  let posted = 0;
  let failures = 0;
  const pids = {
    devhost: devhost.child.pid,
    storage: storage.child.pid,
    client: process.pid,
    ...(cosmos ? { cosmos: cosmos.pid } : {}),
  };
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const cpuBefore = cpuSnapshot(pids);
  const t0 = performance.now();
  await forEachLimit(count, concurrency, async (i) => {
    const body = JSON.stringify(blobCreatedEvent(i, storage.blobEndpoint, png.length));
    for (let attempt = 0; ; attempt++) {
      const status = await post(
        agent,
        webhook,
        { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body,
      );
      if (status === 202 || status === 200) break;
      // Event Grid would redeliver; so does the benchmark (and counts it).
      failures++;
      if (attempt > 5) throw new Error(`webhook answered ${status} for event ${i}`);
      await sleep(100 * 2 ** attempt);
    }
    progressLine('events', ++posted, count, t0);
  });
  const tPosted = performance.now();
  for (let last = -1, lastChange = performance.now(); ; await sleep(20)) {
    const n = (await liveTasks.get(projectId)).n;
    if (n >= count) break;
    if (n !== last) [last, lastChange] = [n, performance.now()];
    if (performance.now() - lastChange > 30_000) throw new Error(`stuck at ${n} of ${count} tasks for 30 s`);
  }
  const tAll = performance.now();
  const cpuAfter = cpuSnapshot(pids);
  const cpu = Object.fromEntries(
    Object.keys(pids).map((k) => [
      k,
      cpuBefore[k] === undefined ? null : Number((cpuAfter[k] - cpuBefore[k]).toFixed(1)),
    ]),
  );
  const rejectedCount = (await rejected.get(projectId)).n;
  counters?.close();
  if (cosmos) {
    await store.close();
    await cosmos.stop();
  }
  if (rejectedCount > 0) throw new Error(`${rejectedCount} blobs were rejected; expected every image to register`);

  const postSeconds = (tPosted - t0) / 1000;
  const allSeconds = (tAll - t0) / 1000;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const result = {
    date: new Date().toISOString(),
    machine,
    command: `npm run bench:ingest -- --count ${count} --concurrency ${concurrency} --storage ${args.storage} --store ${args.store}`,
    store: args.store,
    storage: args.storage,
    count,
    concurrency,
    eventsPerSecond: Math.round(count / postSeconds),
    secondsToPostAll: Number(postSeconds.toFixed(1)),
    secondsUntilAllTasksExist: Number(allSeconds.toFixed(1)),
    redeliveries: failures,
    cpuSecondsDuringRun: cpu,
  };
  console.log(`\n${count} BlobCreated events, ${concurrency} in flight, one per request:`);
  console.log(`  webhook accepted ${result.eventsPerSecond} events/s (${result.secondsToPostAll} s)`);
  console.log(`  all ${count} tasks existed after ${result.secondsUntilAllTasksExist} s`);
  console.log(
    `  CPU seconds during the run: ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (failures) console.log(`  ${failures} deliveries answered non-2xx and were retried`);
  console.log(`  machine: ${machine}`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, `bench/results/ingest-${args.storage}-${count}.json`), JSON.stringify(result, null, 2));
  if (args['cpu-prof']) console.log(`  devhost CPU profile: ${profileDir} (open in Chrome DevTools or speedscope)`);
} finally {
  if (devhost) {
    devhost.child.kill('SIGTERM');
    await new Promise((r) => devhost.child.once('exit', r));
  }
  storage.child.kill('SIGTERM');
  await new Promise((r) => storage.child.once('exit', r));
  rmSync(workDir, { recursive: true, force: true });
}
