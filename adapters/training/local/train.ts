import type { Worker } from 'node:worker_threads';
import { artifactFormat, type DetectorArtifact } from './artifact';
import { pixelMean, pixelStd, prepareDataset, type TrainingExample } from './dataset';
import {
  defaultArchitecture,
  foldBatchNorm,
  inferenceParamSpecs,
  initialParams,
  outputStride,
  parameterCount,
  sizeOf,
  trainingParamSpecs,
  type DetectorArchitecture,
} from './model';
import { AdamW, clipGlobalNorm, learningRateAt } from './optimizer';
import { mulberry32, shuffled } from '../../../shared/util/seededRandom';
import type { StepSample, TrainWorkerData, TrainWorkerReply, TrainWorkerRequest } from './trainWorker';
import { startWorker } from '../../workerThreads';

/**
 * Trains the detector (model.ts) on labelled examples, data-parallel over worker threads.
 *
 * Scheme (measured on 2 cores): each step's batch is split between the workers; each computes the loss and gradients
 * of its share on its own single-threaded wasm backend; the main thread adds the gradients (each share's loss is
 * already divided by the whole batch's object count, so the sum IS the batch gradient), clips them, and applies
 * AdamW to the shared weights. Workers share images, weights and gradient buffers through SharedArrayBuffers, so a
 * step costs two tiny messages per worker. The main thread's own work per step is ~1 ms.
 *
 * Batch normalisation uses each worker's own share for its batch statistics (as data-parallel training usually does
 * without synchronised BN); the inference statistics are estimated after training (see below).
 *
 * Deterministic for a given seed: initial weights, shuffling and flips come from a seeded generator on the main
 * thread, every worker's wasm computation is single-threaded, and gradients are summed in worker order.
 */

export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Mean training loss (focal heatmap + L1 regression) over the epoch's steps. */
  loss: number;
}

export interface TrainDetectorOptions {
  labels: string[];
  /** Square network input in pixels, a multiple of 16 (default 160). */
  inputSize?: number;
  epochs?: number;
  batchSize?: number;
  /** Worker threads (default 2: one per core of the target machine). */
  workers?: number;
  seed?: number;
  /** Peak AdamW learning rate (default 5e-3, after a short warm-up, cosine-decayed). */
  learningRate?: number;
  /** Override parts of the default architecture (tests use a tiny one). */
  architecture?: Partial<DetectorArchitecture>;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

/**
 * Chosen with bench/trainer.mjs (250 scenes, 2 shared cores): 20 epochs at 5e-3 reach mAP@0.5 ≈ 0.96 in 3–4 min
 * (12 epochs ≈ 0.91–0.95; 50 epochs would take ~8 min). Training time grows linearly with the number of examples.
 */
export const trainingDefaults = {
  inputSize: 160,
  epochs: 20,
  batchSize: 16,
  workers: 2,
  seed: 1,
  learningRate: 5e-3,
};

/** AdamW weight decay on convolution weights. */
const weightDecay = 1e-2;
/** Global gradient-norm clip: guards the first steps, when focal-loss gradients can spike. */
const maxGradientNorm = 5;
/** Images used to estimate the BN population statistics after training. */
const statisticsImages = 128;

export async function trainDetector(
  examples: readonly TrainingExample[],
  options: TrainDetectorOptions,
): Promise<DetectorArtifact> {
  const started = performance.now();
  const signal = options.signal;
  signal?.throwIfAborted();
  const labels = [...options.labels];
  if (labels.length === 0 || new Set(labels).size !== labels.length) {
    throw new Error('trainDetector: labels must be non-empty and distinct');
  }
  if (examples.length === 0) throw new Error('trainDetector: no examples');
  const inputSize = options.inputSize ?? trainingDefaults.inputSize;
  if (!Number.isInteger(inputSize) || inputSize < 32 || inputSize % 16 !== 0) {
    throw new Error('trainDetector: inputSize must be a multiple of 16, at least 32');
  }
  const epochs = positiveInteger(options.epochs ?? trainingDefaults.epochs, 'epochs');
  const batchSize = Math.min(
    positiveInteger(options.batchSize ?? trainingDefaults.batchSize, 'batchSize'),
    examples.length,
  );
  const workerCount = Math.min(positiveInteger(options.workers ?? trainingDefaults.workers, 'workers'), batchSize);
  const seed = options.seed ?? trainingDefaults.seed;
  const peakRate = options.learningRate ?? trainingDefaults.learningRate;
  const architecture: DetectorArchitecture = { ...defaultArchitecture, ...options.architecture };
  const classes = labels.length;

  const dataset = await prepareDataset(examples, labels, inputSize, { signal });
  signal?.throwIfAborted();

  const specs = trainingParamSpecs(architecture, classes);
  const total = specs.reduce((n, p) => n + sizeOf(p.shape), 0);
  const weights = new Float32Array(new SharedArrayBuffer(total * 4));
  const random = mulberry32(seed);
  let offset = 0;
  for (const values of initialParams(architecture, classes, random)) {
    weights.set(values, offset);
    offset += values.length;
  }
  // Decay conv weights only; BN scales/shifts and biases are left alone (standard practice).
  const decayMask = new Uint8Array(total);
  offset = 0;
  for (const p of specs) {
    const n = sizeOf(p.shape);
    if (p.name.endsWith('/w')) decayMask.fill(1, offset, offset + n);
    offset += n;
  }

  const pool = new WorkerPool(signal);
  try {
    const gradients: Float32Array[] = [];
    for (let w = 0; w < workerCount; w++) {
      const g = new Float32Array(new SharedArrayBuffer(total * 4));
      gradients.push(g);
      const data: TrainWorkerData = {
        architecture,
        classes,
        inputSize,
        pixels: dataset.pixels,
        boxes: dataset.boxes,
        params: specs,
        weights,
        gradients: g,
      };
      pool.add(startWorker(__dirname, 'trainWorker', data));
    }
    await pool.ready();

    const optimizer = new AdamW(total, { weightDecay, decayMask });
    const stepsPerEpoch = Math.max(1, Math.floor(examples.length / batchSize));
    const steps = stepsPerEpoch * epochs;
    const warmup = Math.min(50, Math.max(1, Math.round(steps * 0.05)));
    const summed = new Float32Array(total);
    let step = 0;
    let lastLoss = NaN;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = shuffled(examples.length, random);
      let epochLoss = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        signal?.throwIfAborted();
        const batch: StepSample[] = order
          .slice(s * batchSize, (s + 1) * batchSize)
          .map((index) => ({ index, flip: random() < 0.5 }));
        const objects = batch.reduce((n, b) => n + dataset.boxes[b.index]!.length, 0);
        const shares = split(batch, workerCount);
        const replies = await pool.all((w) => ({ type: 'step', samples: shares[w]!, objects }), 'step');
        // Every worker's gradient buffer is complete once it has replied; their sum is the batch gradient.
        summed.fill(0);
        for (const g of gradients) for (let i = 0; i < total; i++) summed[i] = summed[i]! + g[i]!;
        clipGlobalNorm(summed, maxGradientNorm);
        optimizer.step(weights, summed, learningRateAt(step, steps, peakRate, warmup));
        step++;
        epochLoss += replies.reduce((n, r) => n + (r?.type === 'step' ? r.heatmap + r.regression : 0), 0);
      }
      lastLoss = epochLoss / stepsPerEpoch;
      if (!Number.isFinite(lastLoss)) throw new Error(`trainDetector: loss diverged at epoch ${epoch}`);
      options.onProgress?.({ epoch, epochs, loss: lastLoss });
    }

    // BN population statistics: mean of the per-batch statistics over (up to) statisticsImages training images,
    // in batches of the training share size, so inference sees what training normalised with.
    signal?.throwIfAborted();
    const share = Math.max(1, Math.ceil(batchSize / workerCount));
    const statisticsOrder = shuffled(examples.length, mulberry32(seed ^ 0x5eed)).slice(0, statisticsImages);
    const sums = new Map<string, { mean: Float64Array; variance: Float64Array; batches: number }>();
    for (let start = 0; start < statisticsOrder.length; start += share * workerCount) {
      signal?.throwIfAborted();
      const chunk = statisticsOrder.slice(start, start + share * workerCount).map((index) => ({ index, flip: false }));
      const parts = split(chunk, workerCount);
      // A worker with no share this round (the last, short chunk) is simply not asked.
      const replies = await pool.all(
        (w) => (parts[w]!.length > 0 ? { type: 'statistics', samples: parts[w]! } : undefined),
        'statistics',
      );
      for (const r of replies) {
        if (r?.type !== 'statistics') continue;
        for (const layer of r.layers) {
          const acc = sums.get(layer.name) ?? {
            mean: new Float64Array(layer.mean.length),
            variance: new Float64Array(layer.mean.length),
            batches: 0,
          };
          layer.mean.forEach((v, i) => (acc.mean[i] = acc.mean[i]! + v));
          layer.variance.forEach((v, i) => (acc.variance[i] = acc.variance[i]! + v));
          acc.batches++;
          sums.set(layer.name, acc);
        }
      }
    }
    const statistics = new Map(
      [...sums].map(([name, s]) => [
        name,
        {
          mean: Float32Array.from(s.mean, (v) => v / s.batches),
          variance: Float32Array.from(s.variance, (v) => v / s.batches),
        },
      ]),
    );

    const trained = new Map<string, Float32Array>();
    offset = 0;
    for (const p of specs) {
      const n = sizeOf(p.shape);
      trained.set(p.name, weights.slice(offset, offset + n));
      offset += n;
    }
    const folded = foldBatchNorm(architecture, classes, trained, statistics);
    const inference = inferenceParamSpecs(architecture, classes);
    const data = Buffer.concat(
      inference.map((p) => {
        const values = folded.get(p.name)!;
        return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      }),
    );
    return {
      format: artifactFormat,
      labels,
      inputSize,
      architecture: { ...architecture, outputStride },
      preprocessing: { resize: 'letterbox-top-left', mean: pixelMean, std: pixelStd, padValue: 127 },
      weights: inference.map((p) => ({ name: p.name, shape: p.shape, dtype: 'float32' as const })),
      data,
      training: {
        examples: examples.length,
        epochs,
        batchSize,
        workers: workerCount,
        seed,
        learningRate: peakRate,
        seconds: (performance.now() - started) / 1000,
        finalLoss: lastLoss,
        parameters: parameterCount(architecture, classes),
      },
    };
  } finally {
    await pool.close();
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`trainDetector: ${name} must be a positive integer`);
  return value;
}

/** Splits `items` into `parts` contiguous, nearly equal shares (earlier shares one longer if uneven). */
function split<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(items.length / parts) + (p < items.length % parts ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/**
 * The training workers, with request/reply in lock-step. A worker error, an unexpected exit or the abort signal
 * rejects the pending round at once (an abort does not wait for the current step to finish: workers are terminated).
 */
class WorkerPool {
  private readonly workers: Worker[] = [];
  /** Per worker: replies not yet claimed (e.g. 'ready' arriving before anyone waits for it). */
  private readonly inbox: TrainWorkerReply[][] = [];
  private readonly waiting: Array<((reply: TrainWorkerReply) => void) | undefined> = [];
  private failure: ((error: unknown) => void) | undefined;
  private failed: unknown;
  private closing = false;
  private readonly onAbort: () => void;

  constructor(private readonly signal: AbortSignal | undefined) {
    this.onAbort = () => this.fail(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  add(worker: Worker): void {
    const index = this.workers.length;
    this.workers.push(worker);
    this.inbox.push([]);
    this.waiting.push(undefined);
    worker.on('message', (reply: TrainWorkerReply) => {
      if (reply.type === 'error') {
        this.fail(Object.assign(new Error(`training worker ${index}: ${reply.message}`), { workerStack: reply.stack }));
        return;
      }
      const take = this.waiting[index];
      this.waiting[index] = undefined;
      if (take) take(reply);
      else this.inbox[index]!.push(reply);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`training worker ${index} exited (code ${code})`));
    });
  }

  /** Resolves once every worker has its wasm backend up. */
  async ready(): Promise<void> {
    await this.all(() => undefined, 'ready', true);
  }

  /**
   * Sends each worker its request and resolves with the replies (undefined for a worker that was not asked, unless
   * `waitForAll`, when every worker's next message is awaited without sending anything).
   */
  all(
    request: (worker: number) => TrainWorkerRequest | undefined,
    expect: TrainWorkerReply['type'],
    waitForAll = false,
  ): Promise<Array<TrainWorkerReply | undefined>> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const replies: Array<TrainWorkerReply | undefined> = new Array(this.workers.length).fill(undefined);
      let outstanding = 0;
      this.failure = reject;
      const accept = (w: number) => (reply: TrainWorkerReply) => {
        if (reply.type !== expect) {
          reject(new Error(`training worker ${w}: expected ${expect}, got ${reply.type}`));
          return;
        }
        replies[w] = reply;
        if (--outstanding === 0) resolve(replies);
      };
      const asked = this.workers.map((worker, w) => {
        const message = request(w);
        if (message) worker.postMessage(message);
        return message !== undefined || waitForAll;
      });
      outstanding = asked.filter(Boolean).length;
      if (outstanding === 0) return resolve(replies);
      asked.forEach((isAsked, w) => {
        if (!isAsked) return;
        const queued = this.inbox[w]!.shift();
        if (queued) accept(w)(queued);
        else this.waiting[w] = accept(w);
      });
    });
  }

  private fail(error: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = error;
    this.failure?.(error);
    // Stop computing now: terminate() interrupts a worker in the middle of a step.
    void this.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
