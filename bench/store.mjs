#!/usr/bin/env node
// Store throughput: applies N BlobCreated decisions through `tasks.mutateMany` on each adapter (SQLite in a temp
// file; Cosmos against @vercel/cosmosdb-server in its own process, as a separate service would be) and reports
// events/s. Then checks that exactly N tasks were counted.
// Usage: npm run build && node bench/store.mjs [--events 10000] [--batch 1000] [--only sqlite,cosmos]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCosmosServerProcess } from './support/cosmosServerProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));
const { createCosmosStore } = require(path.join(root, 'dist/adapters/cosmos/cosmosStore.js'));
const { decideBlobCreated } = require(path.join(root, 'dist/shared/domain/blobFacts.js'));
const { taskIdFor } = require(path.join(root, 'dist/shared/domain/task.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const events = Number(arg('events', '10000'));
const batch = Number(arg('batch', '1000'));
const only = arg('only', 'sqlite,cosmos').split(',');

const projectId = 'bench';
const container = 'images';
const now = new Date().toISOString();

/** One BlobCreated per blob, as ingestion produces them (the facts a real event plus an image header give). */
function decisions() {
  return Array.from({ length: events }, (_, i) => {
    const blobPath = `coco/train2017/${String(i).padStart(12, '0')}.jpg`;
    const facts = {
      container,
      blobPath,
      blobUrl: `https://account.blob.core.windows.net/${container}/${blobPath}`,
      contentType: 'image/jpeg',
      sizeBytes: 150_000 + i,
      eTag: `"0x8DC${i.toString(16).padStart(12, '0')}"`,
      sequencer: (i + 1).toString(16).padStart(32, '0'),
      width: 640,
      height: 480,
    };
    return {
      taskId: taskIdFor(container, blobPath),
      mutation: (existing) => decideBlobCreated(projectId, existing, facts, now),
    };
  });
}

async function measure(name, store) {
  const items = decisions();
  const t0 = performance.now();
  for (let i = 0; i < items.length; i += batch) {
    const results = await store.tasks.mutateMany(projectId, items.slice(i, i + batch));
    if (results.some((r) => r.outcome !== 'written')) throw new Error(`${name}: a create was not written`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const counted = (await store.tasks.counters(projectId)).byState.new;
  if (counted !== events) throw new Error(`${name}: counters say ${counted} new tasks, expected ${events}`);
  const figure = {
    name,
    events,
    batch,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
  };
  console.log(
    `${name}: ${figure.eventsPerSecond} events/s (${events} BlobCreated decisions, mutateTasks batches of ${batch}, ${figure.seconds} s)`,
  );
  return figure;
}

const results = [];
if (only.includes('sqlite')) {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-bench-'));
  const store = new SqliteStore(path.join(dir, 'labels.db'));
  try {
    results.push(await measure('SQLite (WAL file)', store));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (only.includes('cosmos')) {
  const server = await startCosmosServerProcess();
  const store = createCosmosStore({
    COSMOS_ENDPOINT: server.endpoint,
    COSMOS_KEY: 'cosmosdb-server-accepts-any-key',
    COSMOS_ALLOW_INSECURE_TLS: '1',
    COSMOS_DATABASE: 'bench',
  });
  try {
    await store.ping(); // creates the database and containers outside the measurement
    results.push(await measure('Cosmos (cosmosdb-server, separate process)', store));
  } finally {
    await store.close();
    await server.stop();
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, 'bench/results/store.json'),
  JSON.stringify(
    { date: new Date().toISOString(), machine, command: process.argv.slice(1).join(' '), results },
    null,
    2,
  ),
);
console.log(`\nmachine: ${machine}`);
