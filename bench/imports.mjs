#!/usr/bin/env node
// An import at COCO train2017's size, end to end over HTTP on devhost + SQLite + its embedded Azurite: a project
// with N tasks (registered straight into the store, as the prelabel bench does), a COCO file of N images with a few
// boxes each (no segmentation) uploaded to the project's container, then `POST …/imports` with its blob path.
// Measured: the request's duration (read, parse, match every image, check, write), then the same import again (all
// `unchanged`). Azure answers an HTTP request within 230 s; this says how close a file at the blob cap gets.
//
//   npm run bench:imports -- [--images 118287] [--boxes 3]
import { BlobServiceClient } from '@azure/storage-blob';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProject, cocoImageFacts, cocoTask } from './support/cocoProject.mjs';
import { startDevhostWithStorage } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));

const { values: args } = parseArgs({
  options: { images: { type: 'string', default: '118287' }, boxes: { type: 'string', default: '3' } },
});
const images = Number(args.images);
const boxesPerImage = Number(args.boxes);
const projectId = 'import-bench';
const container = 'coco';
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };
const labels = ['circle', 'square', 'triangle'];

const host = await startDevhostWithStorage({
  root,
  users: [admin],
  // Imported labels cross the training threshold: the run is requested but never polled into training here.
  env: { TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *', RECONCILE_SCHEDULE: '0 0 0 1 1 *' },
});
const { baseUrl, connectionString, dataDir } = host;
const store = new SqliteStore(path.join(dataDir, 'labels.db'));
try {
  const now = new Date().toISOString();
  await store.projects.insert(
    benchProject({ id: projectId, name: 'Import benchmark', labels, container, prefix: '', createdBy: admin.id }),
  );
  const blobPaths = Array.from({ length: images }, (_, i) => cocoImageFacts(container, i).blobPath);
  for (let start = 0; start < images; start += 5000) {
    const items = [];
    for (let i = start; i < Math.min(images, start + 5000); i++) items.push(cocoTask(projectId, container, i, now));
    await store.tasks.mutateMany(projectId, items);
  }

  let annotationId = 0;
  const coco = {
    images: blobPaths.map((file_name, i) => ({ id: i + 1, file_name, width: 640, height: 480 })),
    annotations: blobPaths.flatMap((_, i) =>
      Array.from({ length: boxesPerImage }, (_, j) => ({
        id: ++annotationId,
        image_id: i + 1,
        category_id: (j % labels.length) + 1,
        bbox: [10 + j * 100, 20 + (i % 50), 80, 60],
        area: 4800,
        iscrowd: 0,
      })),
    ),
    categories: labels.map((name, i) => ({ id: i + 1, name, supercategory: 'shape' })),
  };
  const bytes = Buffer.from(JSON.stringify(coco));
  const blobs = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  await blobs.createIfNotExists();
  await blobs.getBlockBlobClient('_imports/instances.json').uploadData(bytes);

  const post = async () => {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/api/projects/${projectId}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'coco', source: { blobPath: '_imports/instances.json' } }),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`import → ${res.status}: ${JSON.stringify(body).slice(0, 2000)}`);
    return { seconds: Math.round((performance.now() - started) / 100) / 10, result: body.result };
  };
  const first = await post();
  const again = await post();
  const counters = await store.tasks.counters(projectId);
  const exact =
    first.result.written === images && again.result.unchanged === images && counters.byState.labeled === images;
  console.log(
    JSON.stringify(
      {
        bench: 'import (COCO from a blob)',
        images,
        boxes: annotationId,
        fileMB: Math.round(bytes.length / 1e5) / 10,
        seconds: first.seconds,
        imagesPerSecond: Math.round(images / first.seconds),
        rerunSeconds: again.seconds,
        exact,
        machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0].toFixed(2)}`,
        node: process.version,
      },
      null,
      2,
    ),
  );
  if (!exact) process.exitCode = 1;
} finally {
  await store.close();
  await host.stop();
}
