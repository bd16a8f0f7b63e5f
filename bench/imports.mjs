#!/usr/bin/env node
// An import at COCO train2017's size, end to end over HTTP on devhost + SQLite + its embedded Azurite, through the
// durable path: a project with N tasks (registered straight into the store, as the prelabel bench does), a COCO file
// of N images and M annotations *with segmentation polygons* (train2017's instances file is 448 MB for 118,287 images
// and 860,001 annotations) streamed into the project's container, then `POST …/imports` with its blob path (202) and
// `GET …/imports/{importId}` until it completes. Measured: wall time from the POST to completed, the host process's
// peak RSS (VmHWM; the app runs in it, Azurite is a process of its own), then the same request again (the same
// import: no second run).
//
//   npm run bench:imports -- [--images 118287] [--annotations 860001] [--points 28]
import { BlobServiceClient } from '@azure/storage-blob';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProject, cocoImageFacts, cocoTask } from './support/cocoProject.mjs';
import { startDevhostWithStorage } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SqliteStore } = require(path.join(root, 'dist/adapters/sqlite/sqliteStore.js'));

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '118287' },
    annotations: { type: 'string', default: '860001' },
    // Vertices per polygon: 28 makes the file about as large per annotation as train2017's.
    points: { type: 'string', default: '28' },
  },
});
const images = Number(args.images);
const annotations = Number(args.annotations);
const points = Number(args.points);
const projectId = 'import-bench';
const container = 'coco';
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };
const labels = ['circle', 'square', 'triangle'];

const peakRssMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
};

/** Annotation k's image: spread evenly, so each image has ⌊M/N⌋ or one more (train2017 averages 7.3). */
const imageOf = (k) => Math.floor((k * images) / annotations);

/** The file as COCO tools write it, in pieces (it is never one string: V8 strings stop at 512 MB). */
function* cocoFile() {
  yield '{"info":{"description":"bench: synthetic train2017"},"licenses":[],"images":[';
  for (let i = 0; i < images; i++) {
    const { blobPath } = cocoImageFacts(container, i);
    yield `${i ? ',' : ''}{"license":1,"file_name":${JSON.stringify(blobPath)},"height":480,"width":640,"id":${i + 1}}`;
  }
  yield '],"annotations":[';
  let within = 0;
  for (let k = 0; k < annotations; k++) {
    const image = imageOf(k);
    within = k > 0 && imageOf(k - 1) === image ? within + 1 : 0;
    const x = 10 + (within % 7) * 85;
    const y = 20 + (image % 50) + Math.floor(within / 7) * 100;
    const seg = [];
    for (let p = 0; p < points; p++) {
      const t = (p / points) * 2 * Math.PI;
      seg.push((x + 35 + 35 * Math.cos(t)).toFixed(2), (y + 25 + 25 * Math.sin(t)).toFixed(2));
    }
    yield (
      `${k ? ',' : ''}{"segmentation":[[${seg.join(',')}]],"area":2748.89,"iscrowd":0,"image_id":${image + 1},` +
      `"bbox":[${x},${y},70.0,50.0],"category_id":${(k % labels.length) + 1},"id":${k + 1}}`
    );
  }
  // Categories last, as some tools write them: the importer must not need them first.
  yield `],"categories":${JSON.stringify(labels.map((name, i) => ({ supercategory: 'shape', id: i + 1, name })))}}`;
}

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
  for (let start = 0; start < images; start += 5000) {
    const items = [];
    for (let i = start; i < Math.min(images, start + 5000); i++) items.push(cocoTask(projectId, container, i, now));
    await store.tasks.mutateMany(projectId, items);
  }

  const blobs = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  await blobs.createIfNotExists();
  let fileBytes = 0;
  const body = Readable.from(
    (function* () {
      let pending = [];
      let size = 0;
      for (const part of cocoFile()) {
        pending.push(part);
        size += part.length;
        if (size >= 1 << 20) {
          const b = Buffer.from(pending.join(''));
          fileBytes += b.length;
          yield b;
          pending = [];
          size = 0;
        }
      }
      const b = Buffer.from(pending.join(''));
      fileBytes += b.length;
      yield b;
    })(),
  );
  await blobs.getBlockBlobClient('_imports/instances_train2017.json').uploadStream(body, 8 << 20, 4);

  const api = async (method, route, json) => {
    const res = await fetch(`${baseUrl}/api/projects/${projectId}/${route}`, {
      method,
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      ...(json ? { body: JSON.stringify(json) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };
  const request = { format: 'coco', source: { blobPath: '_imports/instances_train2017.json' } };
  const rssBefore = peakRssMb(host.pid);
  const started = performance.now();
  const accepted = await api('POST', 'imports', request);
  if (accepted.status !== 202) throw new Error(`import → ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  const { importId } = accepted.body;
  let view;
  let scannedAt;
  let rssAfterScan;
  for (;;) {
    view = (await api('GET', `imports/${importId}`)).body;
    if (view.state === 'writing' && scannedAt === undefined) {
      scannedAt = performance.now();
      rssAfterScan = peakRssMb(host.pid);
    }
    if (['completed', 'refused', 'failed'].includes(view.state)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (performance.now() - started) / 1000;
  const rss = peakRssMb(host.pid);
  if (view.state !== 'completed') throw new Error(`import ${view.state}: ${JSON.stringify(view).slice(0, 2000)}`);
  const again = await api('POST', 'imports', request);
  const counters = await store.tasks.counters(projectId);
  const exact =
    view.report.result.written === images &&
    view.report.boxes === annotations &&
    again.status === 202 &&
    again.body.importId === importId &&
    again.body.state === 'completed' &&
    counters.byState.labeled === images;
  console.log(
    JSON.stringify(
      {
        bench: 'import (COCO from a blob, durable)',
        images,
        annotations,
        polygonPoints: points,
        fileMB: Math.round(fileBytes / 1e5) / 10,
        seconds: Math.round(seconds * 10) / 10,
        scanSeconds: scannedAt ? Math.round((scannedAt - started) / 100) / 10 : undefined,
        imagesPerSecond: Math.round(images / seconds),
        hostPeakRssMb: rss,
        hostPeakRssBeforeImportMb: rssBefore,
        hostPeakRssAfterScanMb: rssAfterScan,
        rePostSameImport: again.body,
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
