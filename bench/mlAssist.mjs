#!/usr/bin/env node
// The ML Assist loop end to end, over HTTP on devhost with the built-in CPU trainer at its real size: labelers label
// 250 synthetic demo scenes with their true boxes → the training run starts by itself → the training poll carries it
// through training, prediction and the validation gate → prelabels on the remaining images. Reported: the run's
// figures (train seconds, inference ms per image, mAP on the validation split, calibration, gate), prelabel precision
// and recall against the demo's ground truth at the calibrated threshold, and labeling latency (submit p50/p99)
// before and while the training run is in progress.
//
//   npm run bench:mlassist -- [--images 1000] [--threshold 250] [--style scenes|plain] [--think-ms 150]
//                             [--training-think-ms 2500]
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDevhostWithStorage } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { openContainer, uploadDemoImages } = require(path.join(root, 'dist/scripts/demo/demoUpload.js'));
const { taskIdFor } = require(path.join(root, 'dist/shared/domain/task.js'));
const { iou } = require(path.join(root, 'dist/shared/domain/detectionMetrics.js'));

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '1000' },
    threshold: { type: 'string', default: '250' },
    style: { type: 'string', default: 'scenes' },
    'think-ms': { type: 'string', default: '150' },
    /** Slower while the run trains: latency is measured then, and images must be left for the model to prelabel. */
    'training-think-ms': { type: 'string', default: '2500' },
  },
});
const images = Number(args.images);
const threshold = Number(args.threshold);
const thinkMs = Number(args['think-ms']);
const trainingThinkMs = Number(args['training-think-ms']);
const projectId = 'demo';
const admin = { id: 'admin', name: 'Admin', roles: ['admin'], token: 'bench-admin' };
const labelers = ['ann', 'bob'].map((id) => ({ id, name: id, roles: ['labeler'], token: `${id}-token` }));

const host = await startDevhostWithStorage({
  root,
  users: [admin, ...labelers],
  env: { TRAINING_POLL_SCHEDULE: '*/2 * * * * *' },
});
const { baseUrl, connectionString } = host;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, route, token, body, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/api/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - t0 };
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 10) / 10 : null;
};

try {
  // ---------------------------------------------------------------- the demo project
  const container = await openContainer(connectionString, projectId);
  const planOptions = { style: args.style, seed: 2026, minSize: 256, maxSize: 320, minObjects: 1, maxObjects: 4 };
  const coco = await uploadDemoImages(container, { count: images, concurrency: 16, ...planOptions });
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  const truth = new Map(coco.images.map((i) => [taskIdFor(projectId, i.file_name), []]));
  const fileOf = new Map(coco.images.map((i) => [i.id, i.file_name]));
  for (const a of coco.annotations) {
    const [x, y, width, height] = a.bbox;
    truth
      .get(taskIdFor(projectId, fileOf.get(a.image_id)))
      .push({ label: names.get(a.category_id), x, y, width, height });
  }
  const created = await call('POST', 'projects', admin.token, {
    id: projectId,
    name: 'Demo scenes',
    type: 'objectDetection',
    labels: coco.categories.map((c) => ({ name: c.name })),
    dataset: { container: projectId },
    mlAssist: { initialTrainingThreshold: threshold },
    batchPolicy: { size: 25 },
  });
  if (created.status !== 201) throw new Error(`create → ${created.status} ${JSON.stringify(created.body)}`);
  for (const l of labelers)
    await call('PUT', `projects/${projectId}/members/${l.id}`, admin.token, { role: 'labeler' });
  for (;;) {
    const p = await call('GET', `projects/${projectId}`, admin.token);
    if (p.body.counters?.byState?.new === images) break;
    await sleep(250);
  }
  console.log(`${images} ${args.style} images registered; labeling to ${threshold} …`);

  // ---------------------------------------------------------------- labelers
  let phase = 'before'; // 'before' the run, 'training' while it is queued/running, 'after'
  const submitMs = { before: [], training: [], after: [] };
  let stop = false;
  let labeledTotal = 0;
  async function labeler(user) {
    for (let round = 0; !stop; round++) {
      const batch = await call('POST', `projects/${projectId}/batches`, user.token, undefined, {
        'idempotency-key': `${user.id}-${round}`,
      });
      if (batch.status === 202) {
        await sleep(200);
        round--;
        continue;
      }
      const tasks = (batch.body.tasks ?? []).filter((t) => t.state === 'assigned' && !t.prelabel);
      if (tasks.length === 0) return;
      for (const t of tasks) {
        if (stop) break;
        await sleep(phase === 'training' ? trainingThinkMs : thinkMs);
        const res = await call('PUT', `projects/${projectId}/tasks/${t.taskId}/annotation`, user.token, {
          boxes: truth.get(t.taskId),
          secondsOnTask: thinkMs / 1000,
        });
        if (res.status !== 200) throw new Error(`submit → ${res.status} ${JSON.stringify(res.body)}`);
        submitMs[phase].push(res.ms);
        labeledTotal++;
      }
      await call('POST', `projects/${projectId}/batches/current/release`, user.token);
    }
  }
  const working = Promise.all(labelers.map(labeler));

  // ---------------------------------------------------------------- the run
  const started = performance.now();
  let run;
  let trainingStartedAt;
  for (;;) {
    const runs = (await call('GET', `projects/${projectId}/training-runs`, admin.token)).body.items;
    run = runs[0];
    if (run && (run.state === 'queued' || run.state === 'running') && phase === 'before') {
      phase = 'training';
      trainingStartedAt = performance.now();
      console.log(`run ${run.id} ${run.state} at ${run.labeledAtRequest} labeled`);
    }
    if (run && phase === 'training' && !['requested', 'queued', 'running'].includes(run.state)) {
      phase = 'after';
      stop = true; // the measurement of labeling during training is done; let the run finish alone
      console.log(`training done after ${((performance.now() - trainingStartedAt) / 1000).toFixed(0)} s; validating …`);
    }
    if (run && ['completed', 'rejected', 'failed', 'canceled'].includes(run.state)) break;
    if (performance.now() - started > 40 * 60_000)
      throw new Error(`run not finished after 40 min: ${JSON.stringify(run)}`);
    await sleep(1000);
  }
  stop = true;
  await working;

  // ---------------------------------------------------------------- prelabel quality against the ground truth
  let tp = 0;
  let predicted = 0;
  let truths = 0;
  let prelabeledImages = 0;
  let token;
  do {
    const q = new URLSearchParams({
      state: 'prelabeled',
      limit: '1000',
      ...(token ? { continuationToken: token } : {}),
    });
    const page = (await call('GET', `projects/${projectId}/tasks?${q}`, admin.token)).body;
    for (const t of page.items) {
      prelabeledImages++;
      const remaining = [...(truth.get(t.id) ?? [])];
      truths += remaining.length;
      const boxes = [...(t.prelabel?.boxes ?? [])].sort((a, b) => b.score - a.score);
      predicted += boxes.length;
      for (const b of boxes) {
        const i = remaining.findIndex((r) => r.label === b.label && iou(r, b) >= 0.5);
        if (i >= 0) {
          tp++;
          remaining.splice(i, 1);
        }
      }
    }
    token = page.continuationToken;
  } while (token);

  const round = (x, d = 3) => (x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
  const result = {
    bench: 'ml assist loop (devhost, local trainer)',
    images,
    style: args.style,
    threshold,
    run: {
      id: run.id,
      state: run.state,
      labeledAtRequest: run.labeledAtRequest,
      trainImages: run.dataset?.trainCount,
      validationImages: run.evaluation?.validationImages,
      trainSeconds: round(run.providerMetrics?.trainSeconds, 1),
      inferenceMsPerImage: round(run.providerMetrics?.msPerImage, 1),
      mAP50: round(run.evaluation?.mAP50),
      mAP50_95: round(run.evaluation?.mAP50_95),
      matchedMeanIoU: round(run.evaluation?.matchedMeanIoU),
      ece: [round(run.evaluation?.calibration.eceBefore), round(run.evaluation?.calibration.eceAfter)],
      gate: run.gate,
      predictions: run.predictions,
      failure: run.failure,
    },
    prelabels: {
      images: prelabeledImages,
      precision: round(predicted ? tp / predicted : 0),
      recall: round(truths ? tp / truths : 0),
      boxes: predicted,
    },
    submitMs: Object.fromEntries(
      Object.entries(submitMs).map(([k, xs]) => [
        k,
        { n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99) },
      ]),
    ),
    labeledTotal,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0].toFixed(2)}`,
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await host.stop();
}
