#!/usr/bin/env node
// Benchmark of the local training backend's built-in CPU detector (adapters/training/local).
//
//   npm run bench:trainer                          # 250 training + 150 held-out "scenes" images, default config
//   npm run bench:trainer -- --epochs 10 --train 100 --test 50    # quick check
//   options: --input-size, --workers, --batch-size, --learning-rate, --seed (training), --data-seed (images),
//            --arch '{"stem":12,"stages":[24,48,128],"neck":24,"head":24}' (partial override)
//
// Data: synthetic 256–320 px scenes (scripts/demo/syntheticImages.ts, style 'scenes'): 1–4 objects of three classes
// that differ by shape and texture, not colour, plus unlabelled distractor blobs. Held-out images use other indices.
// Reported: training wall time (image decoding included), inference ms per image (after one warm-up, decode +
// letterbox included), peak RSS of the process (its worker threads included), and on the held-out images mAP@0.5,
// mAP@0.5:0.95 and matched mean IoU from shared/domain/detectionMetrics.ts (COCO-style, 100 detections per image).
// The goal (issue 9 §1 "local"): mAP@0.5 ≥ 0.8 within ≤ 5 minutes of training on 2 cores.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { planImage, renderImage } = require(path.join(root, 'dist/scripts/demo/syntheticImages.js'));
// The app's one COCO-style evaluator (shared/domain/detectionMetrics.ts), as the validation gate uses it.
const { evaluateDetections } = require(path.join(root, 'dist/shared/domain/detectionMetrics.js'));
const { trainDetector, loadDetector, serializeArtifact, parseArtifact, parameterCount, forwardMacs } = require(
  path.join(root, 'dist/adapters/training/local/index.js'),
);

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '250' },
    test: { type: 'string', default: '150' },
    epochs: { type: 'string' },
    'input-size': { type: 'string' },
    workers: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
    'data-seed': { type: 'string', default: '2026' },
    arch: { type: 'string' },
  },
});
const number = (v) => (v === undefined ? undefined : Number(v));
const labels = ['circle', 'square', 'triangle'];
const dataSeed = Number(args['data-seed']);
const planOptions = { style: 'scenes', seed: dataSeed, minSize: 256, maxSize: 320, minObjects: 1, maxObjects: 4 };

async function generate(start, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const plan = planImage(start + i, planOptions);
    out.push({
      id: plan.id,
      image: await renderImage(plan),
      boxes: plan.objects.map((o) => ({
        label: o.shape.name,
        x: o.bbox[0],
        y: o.bbox[1],
        width: o.bbox[2],
        height: o.bbox[3],
      })),
    });
  }
  return out;
}

const trainCount = Number(args.train);
const testCount = Number(args.test);
console.log(`generating ${trainCount} training + ${testCount} held-out scenes (data seed ${dataSeed}) …`);
const train = await generate(0, trainCount);
const test = await generate(100_000, testCount);

const options = {
  labels,
  epochs: number(args.epochs),
  inputSize: number(args['input-size']),
  workers: number(args.workers),
  batchSize: number(args['batch-size']),
  learningRate: number(args['learning-rate']),
  seed: number(args.seed),
  architecture: args.arch ? JSON.parse(args.arch) : undefined,
};
for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];

const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const artifact = await trainDetector(train, {
  ...options,
  onProgress: ({ epoch, epochs, loss }) => {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    if (epoch === 1 || epoch % 5 === 0 || epoch === epochs)
      console.log(`  epoch ${epoch}/${epochs} loss ${loss.toFixed(4)} (${s} s)`);
  },
});
const trainSeconds = (performance.now() - started) / 1000;

const blob = serializeArtifact(artifact);
const detector = await loadDetector(parseArtifact(blob));
await detector.predict(test[0].image); // warm-up (first wasm calls compile kernels' code paths)
const images = [];
let inferenceMs = 0;
for (const t of test) {
  const t0 = performance.now();
  const predictions = await detector.predict(t.image, { minScore: 0.01, maxDetections: 100 });
  inferenceMs += performance.now() - t0;
  images.push({ id: String(t.id), truth: t.boxes, predictions });
}
detector.dispose();
const metrics = evaluateDetections({ labels, images });
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const result = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  node: process.version,
  trainImages: trainCount,
  testImages: testCount,
  dataSeed,
  config: {
    inputSize: artifact.inputSize,
    epochs: artifact.training.epochs,
    batchSize: artifact.training.batchSize,
    workers: artifact.training.workers,
    seed: artifact.training.seed,
    learningRate: artifact.training.learningRate,
    architecture: artifact.architecture,
  },
  parameters: parameterCount(artifact.architecture, labels.length),
  forwardMMacs: +(forwardMacs(artifact.architecture, labels.length, artifact.inputSize) / 1e6).toFixed(1),
  artifactBytes: blob.length,
  trainSeconds: +trainSeconds.toFixed(1),
  finalLoss: +artifact.training.finalLoss.toFixed(4),
  inferenceMsPerImage: +(inferenceMs / test.length).toFixed(1),
  peakRssMb: Math.round(peakRssMb),
  rssBeforeTrainingMb: Math.round(rssBefore / 2 ** 20),
  mAP50: +metrics.mAP50.toFixed(4),
  mAP50_95: +metrics.mAP50_95.toFixed(4),
  matchedMeanIoU: +metrics.matchedMeanIoU.toFixed(4),
  perClassAP50: Object.fromEntries(Object.entries(metrics.perClass).map(([k, v]) => [k, +v.ap50.toFixed(4)])),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
const file = path.join(root, 'bench/results', `trainer-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(
  `train ${result.trainSeconds} s · inference ${result.inferenceMsPerImage} ms/image · peak RSS ${result.peakRssMb} MB · ` +
    `mAP@0.5 ${result.mAP50} · mAP@0.5:0.95 ${result.mAP50_95}  → ${path.relative(root, file)}`,
);
