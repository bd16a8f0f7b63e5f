#!/usr/bin/env node
// Requests to Cosmos DB per labeling operation: the services (BatchService, SubmissionService) run on the Cosmos store
// against @vercel/cosmosdb-server (its own process), with a plugin that counts every request the SDK sends. Reports
// requests per batch allocation, per submission, per skip and per batch lookup, by kind, with an RU estimate.
// Usage: npm run bench:cosmos-requests [-- --tasks 2000 --labelers 20 --batch 75]
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCosmosServerProcess } from './support/cosmosServerProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { CosmosStore } = require(path.join(root, 'dist/adapters/cosmos/cosmosStore.js'));
const { cosmosSettingsFrom } = require(path.join(root, 'dist/adapters/cosmos/cosmosConfig.js'));
const { BatchService } = require(path.join(root, 'dist/shared/services/batches.js'));
const { SubmissionService } = require(path.join(root, 'dist/shared/services/submissions.js'));
const { decideBlobCreated } = require(path.join(root, 'dist/shared/domain/blobFacts.js'));
const { taskIdFor } = require(path.join(root, 'dist/shared/domain/task.js'));

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    labelers: { type: 'string', default: '20' },
    batch: { type: 'string', default: '75' },
  },
});
const taskCount = Number(args.tasks);
const labelerCount = Number(args.labelers);
const batchSize = Number(args.batch);
const projectId = 'bench';
const container = 'images';

/** Counts requests by kind; `snapshot()`/`since()` measure one operation. */
function requestCounter() {
  const counts = new Map();
  const plugin = {
    on: 'request',
    plugin: async (context, _diagnostics, next) => {
      const op = context.operationType ?? 'read';
      const kind = op === 'query' ? 'query' : op === 'read' ? 'read' : 'write';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      return next(context);
    },
  };
  const snapshot = () => new Map(counts);
  const since = (before) => {
    const out = { read: 0, query: 0, write: 0 };
    for (const [k, n] of counts) out[k] = n - (before.get(k) ?? 0);
    return out;
  };
  return { plugin, snapshot, since };
}

/**
 * RU estimate on Azure for small documents (≈1 KB, few indexed paths, see store-design.md): a point read 1 RU, a
 * write ≈ 6 RU, a single-partition query ≈ 3 RU. An estimate to compare patterns, not a bill.
 */
const ruOf = (c) => c.read * 1 + c.write * 6 + c.query * 3;

const average = (list) => {
  const sum = { read: 0, query: 0, write: 0 };
  for (const c of list) for (const k of Object.keys(sum)) sum[k] += c[k];
  const n = Math.max(1, list.length);
  const avg = Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, Number((v / n).toFixed(2))]));
  return {
    ...avg,
    total: Number(((sum.read + sum.query + sum.write) / n).toFixed(2)),
    ru: Number((ruOf(sum) / n).toFixed(1)),
  };
};

const server = await startCosmosServerProcess();
const counter = requestCounter();
const store = new CosmosStore(cosmosSettingsFrom({ ...server.env, COSMOS_DATABASE: 'requests' }), {
  plugins: [counter.plugin],
});
try {
  const now = new Date().toISOString();
  const labelers = Array.from({ length: labelerCount }, (_, i) => `labeler-${i}@example.com`);
  await store.projects.insert({
    id: projectId,
    name: 'Request counts',
    type: 'objectDetection',
    labels: [{ name: 'cat' }],
    dataset: { container, prefix: '', connectionSetting: 'AzureWebJobsStorage', extensions: ['jpg'] },
    mlAssist: { enabled: true, initialTrainingThreshold: 250, additionalLabelsOnRejectedModel: 100 },
    batchPolicy: { size: batchSize, leaseMinutes: 60 },
    incrementalRefresh: { enabled: false, intervalMinutes: 60 },
    status: 'active',
    createdAt: now,
    createdBy: 'bench',
    updatedAt: now,
  });
  for (const userId of labelers) {
    await store.members.put({ projectId, userId, role: 'labeler', addedAt: now, addedBy: 'bench' });
  }
  const items = Array.from({ length: taskCount }, (_, i) => {
    const blobPath = `img/${String(i).padStart(6, '0')}.jpg`;
    const facts = {
      container,
      blobPath,
      blobUrl: `https://account.blob.core.windows.net/${container}/${blobPath}`,
      contentType: 'image/jpeg',
      sizeBytes: 100_000,
      eTag: `"0x${i}"`,
      sequencer: '',
      width: 640,
      height: 480,
    };
    return { taskId: taskIdFor(container, blobPath), mutation: (t) => decideBlobCreated(projectId, t, facts, now) };
  });
  for (let i = 0; i < items.length; i += 500) await store.tasks.mutateMany(projectId, items.slice(i, i + 500));

  const blobs = {
    readUrl: async (_at, blobPath) => `https://account.blob.core.windows.net/${container}/${blobPath}?sas`,
    accountName: () => 'account',
    blobUrl: (_at, blobPath) => `https://account.blob.core.windows.net/${container}/${blobPath}`,
  };
  const batches = new BatchService({ store, blobs });
  const submissions = new SubmissionService({ store });
  const project = (await store.projects.get(projectId)).value;

  const allocation = [];
  const lookup = [];
  const submit = [];
  const skip = [];
  const held = [];
  for (const [i, labeler] of labelers.entries()) {
    const before = counter.snapshot();
    const batch = await batches.allocate(projectId, labeler, `r-${i}`);
    allocation.push(counter.since(before));
    held.push(batch);
  }
  for (const batch of held) {
    const before = counter.snapshot();
    await batches.find(projectId, batch.labelerId, batch.requestId);
    lookup.push(counter.since(before));
  }
  for (const batch of held.slice(0, 4)) {
    for (const [k, taskId] of batch.taskIds.entries()) {
      const before = counter.snapshot();
      const outcome =
        k % 10 === 9
          ? await submissions.skip(project, batch.labelerId, taskId, 'noObjects')
          : await submissions.submit(project, batch.labelerId, taskId, {
              boxes: [{ label: 'cat', x: 10, y: 10, width: 50, height: 40 }],
              secondsOnTask: 12,
            });
      if (outcome.kind !== 'accepted') throw new Error(`submission refused: ${outcome.message}`);
      (k % 10 === 9 ? skip : submit).push(counter.since(before));
    }
  }

  const figures = {
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    tasks: taskCount,
    labelers: labelerCount,
    batchSize,
    perAllocation: average(allocation),
    perBatchLookup: average(lookup),
    perSubmission: average(submit),
    perSkip: average(skip),
  };
  console.log(JSON.stringify(figures, null, 2));
} finally {
  await store.close();
  await server.stop();
}
