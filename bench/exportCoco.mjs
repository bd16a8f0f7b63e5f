#!/usr/bin/env node
// COCO export at COCO train2017's scale, end to end on devhost + SQLite + its embedded Azurite: synthetic labeled
// tasks written straight into the store (118,287 images, 860,001 boxes), then `POST …/exports {format: "coco"}` over
// HTTP and the export orchestration until `GET …/exports/{id}` says completed. Measured: wall time from the POST to
// completed, and the host process's peak RSS (VmHWM; the app runs in it, Azurite is a process of its own). The file
// is then downloaded by its read URL and its counts and id uniqueness checked. Goal (issue 2): ≤ 15 s, ≤ 256 MB.
//
// The Cosmos variant (10,000 images) runs the same export steps (plan, chunks two at a time, commit) in this process
// on the Cosmos adapter against @vercel/cosmosdb-server, counting every request the SDK sends.
//
//   npm run bench:export -- [--images 118287] [--boxes 860001] [--cosmos-images 10000] [--no-cosmos]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProject, cocoTask } from './support/cocoProject.mjs';
import { startCosmosServerProcess } from './support/cosmosServerProcess.mjs';
import { startDevhostWithStorage } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));
const { BlobTrainingFiles } = require(path.join(root, 'dist/adapters/blob/blobTrainingFiles.js'));
const { ExportService } = require(path.join(root, 'dist/shared/services/exports.js'));
const { mulberry32 } = require(path.join(root, 'dist/shared/util/seededRandom.js'));

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '118287' },
    boxes: { type: 'string', default: '860001' },
    'cosmos-images': { type: 'string', default: '10000' },
    'no-cosmos': { type: 'boolean', default: false },
  },
});
const imageCount = Number(args.images);
const boxCount = Number(args.boxes);
const cosmosImages = Number(args['cosmos-images']);
const goal = { seconds: 15, peakRssMb: 256 };
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };
const labels = ['person', 'car', 'chair', 'book', 'bottle', 'cup', 'dog', 'cat'];
const container = 'coco';

function project(id) {
  return benchProject({
    id,
    name: 'COCO export benchmark',
    labels,
    container,
    prefix: '',
    mlAssist: { enabled: false },
    createdBy: admin.id,
  });
}

/** Labeled tasks with `boxes` boxes over `images` images (spread as evenly as possible), inside 640 × 480. */
async function seed(store, projectId, images, boxes) {
  const random = mulberry32(2017);
  const now = new Date().toISOString();
  const base = Math.floor(boxes / images);
  const extra = boxes - base * images;
  for (let start = 0; start < images; start += 1000) {
    const items = [];
    for (let i = start; i < Math.min(images, start + 1000); i++) {
      const n = base + (i < extra ? 1 : 0);
      const annotationBoxes = Array.from({ length: n }, () => {
        const width = 8 + Math.floor(random() * 300);
        const height = 8 + Math.floor(random() * 200);
        return {
          label: labels[Math.floor(random() * labels.length)],
          x: Math.floor(random() * (640 - width)),
          y: Math.floor(random() * (480 - height)),
          width,
          height,
        };
      });
      items.push(cocoTask(projectId, container, i, now, { boxes: annotationBoxes, by: 'bench-labeler', at: now }));
    }
    await store.tasks.mutateMany(projectId, items);
  }
}

const peakRssMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
};

/** Ids unique, references resolving: a quick check of the downloaded file (the tests run the full validator). */
function checkCoco(doc) {
  const images = new Set(doc.images.map((i) => i.id));
  const annotations = new Set(doc.annotations.map((a) => a.id));
  const resolved = doc.annotations.every((a) => images.has(a.image_id));
  return {
    images: doc.images.length,
    annotations: doc.annotations.length,
    uniqueIds: images.size === doc.images.length && annotations.size === doc.annotations.length,
    resolved,
  };
}

async function sqliteRun() {
  const host = await startDevhostWithStorage({
    root,
    users: [admin],
    env: { RECONCILE_SCHEDULE: '0 0 0 1 1 *', TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *' },
    prefix: 'bench-export-',
  });
  const projectId = 'coco-export';
  const store = new SqliteStore(path.join(host.dataDir, 'labels.db'));
  try {
    await store.projects.insert(project(projectId));
    const seedStarted = performance.now();
    await seed(store, projectId, imageCount, boxCount);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const call = async (method, route, body) => {
      const res = await fetch(`${host.baseUrl}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${admin.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    };
    const rssBefore = peakRssMb(host.pid);
    const started = performance.now();
    const accepted = await call('POST', `/api/projects/${projectId}/exports`, { format: 'coco' });
    if (accepted.status !== 202) throw new Error(`POST exports → ${accepted.status}: ${JSON.stringify(accepted.body)}`);
    let view;
    for (;;) {
      view = (await call('GET', accepted.body.statusUrl)).body;
      if (view.state === 'completed') break;
      if (view.state === 'failed') throw new Error(`export failed: ${view.error}`);
      if (performance.now() - started > 600_000)
        throw new Error(`export not done after 10 min: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const rss = peakRssMb(host.pid);
    const file = view.files.find((f) => f.name === 'coco.json');
    const text = await (await fetch(file.url)).text();
    const checked = checkCoco(JSON.parse(text));
    const exact =
      checked.images === imageCount && checked.annotations === boxCount && checked.uniqueIds && checked.resolved;
    return {
      store: 'sqlite',
      images: imageCount,
      boxes: boxCount,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      seconds: Math.round(seconds * 10) / 10,
      chunks: view.progress?.chunks,
      fileMb: Math.round(text.length / 1024 / 102.4) / 10,
      hostPeakRssMb: rss,
      hostPeakRssBeforeExportMb: rssBefore,
      checked,
      exact,
      goal: `≤ ${goal.seconds} s, ≤ ${goal.peakRssMb} MB peak RSS`,
      met: exact && seconds <= goal.seconds && rss <= goal.peakRssMb,
      connectionString: host.connectionString,
    };
  } finally {
    await store.close();
    await host.stop();
  }
}

/** Requests by kind and the bytes of documents returned (what a query's charge grows with). */
function requestCounter() {
  const counts = { read: 0, query: 0, write: 0, queryKb: 0 };
  let counting = false;
  const plugin = {
    on: 'request',
    plugin: async (context, diagnostics, next) => {
      const response = await next(context);
      if (!counting) return response;
      const op = context.operationType ?? 'read';
      const kind = op === 'query' ? 'query' : op === 'read' ? 'read' : 'write';
      counts[kind]++;
      if (kind === 'query') counts.queryKb += JSON.stringify(response.result ?? '').length / 1024;
      return response;
    },
  };
  return { plugin, counts, start: () => (counting = true) };
}

async function cosmosRun(connectionString) {
  const { CosmosStore } = require(path.join(root, 'dist/adapters/cosmos/cosmosStore.js'));
  const { cosmosSettingsFrom } = require(path.join(root, 'dist/adapters/cosmos/cosmosConfig.js'));
  const { startAzurite } = require(path.join(root, 'dist/devhost/services/azurite.js'));
  const server = await startCosmosServerProcess();
  const counter = requestCounter();
  const store = new CosmosStore(cosmosSettingsFrom({ ...server.env, COSMOS_DATABASE: 'exports' }), {
    plugins: [counter.plugin],
  });
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const azuriteDir = mkdtempSync(path.join(tmpdir(), 'bench-export-azurite-'));
  const quiet = () => undefined;
  const azurite = connectionString
    ? undefined
    : await startAzurite({
        dataDir: azuriteDir,
        port: 0,
        logger: { info: quiet, warn: quiet, error: quiet, functionLog: quiet, invocation: quiet },
      });
  try {
    const projectId = 'coco-export-cosmos';
    await store.projects.insert(project(projectId));
    const boxes = Math.round((cosmosImages * boxCount) / imageCount);
    await seed(store, projectId, cosmosImages, boxes);
    const files = new BlobTrainingFiles('training', {
      AzureWebJobsStorage: azurite?.connectionString ?? connectionString,
    });
    const service = new ExportService({ store, files, imageUrl: (p) => p });
    const spec = {
      projectId,
      exportId: 'xBENCHAAAAAAAAAAAAAAAAA',
      format: 'coco',
      include: 'labeled',
      projectName: 'COCO export benchmark',
      labels,
      requestedAt: new Date().toISOString(),
      requestedBy: admin.id,
    };
    counter.start();
    const started = performance.now();
    const chunks = await service.plan(projectId);
    const staged = [];
    for (let i = 0; i < chunks.length; i += 2) {
      const wave = await Promise.all(chunks.slice(i, i + 2).map((c, j) => service.writeChunk(spec, i + j, c)));
      staged.push(...wave.map((w) => w.staged));
    }
    const written = await service.finish(spec, staged);
    const seconds = (performance.now() - started) / 1000;
    const text = (await files.read(written.files[0].path)).toString('utf8');
    const checked = checkCoco(JSON.parse(text));
    const { read, query, write, queryKb } = counter.counts;
    // Estimate as in store-design.md (point read 1 RU, write ≈ 6 RU, query ≈ 3 RU), plus ≈ 1 RU per KB of documents a
    // query returns, since a query's charge grows with what it reads. An estimate to compare patterns, not a bill.
    const ru = Math.round(read + write * 6 + query * 3 + queryKb);
    return {
      store: 'cosmos (cosmosdb-server)',
      images: cosmosImages,
      boxes,
      seconds: Math.round(seconds * 10) / 10,
      chunks: chunks.length,
      requests: { read, query, write, total: read + query + write },
      queryMb: Math.round(queryKb / 102.4) / 10,
      ruEstimate: ru,
      checked,
      exact: checked.images === cosmosImages && checked.annotations === boxes && checked.uniqueIds && checked.resolved,
    };
  } finally {
    await store.close();
    await server.stop();
    await azurite?.stop();
    rmSync(azuriteDir, { recursive: true, force: true });
  }
}

const sqlite = await sqliteRun();
delete sqlite.connectionString;
const results = [sqlite];
if (!args['no-cosmos']) results.push(await cosmosRun());
console.log(
  JSON.stringify(
    {
      bench: 'COCO export',
      results,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, load ${loadavg()[0].toFixed(2)}`,
      node: process.version,
    },
    null,
    2,
  ),
);
if (!results.every((r) => r.exact)) process.exitCode = 1;
