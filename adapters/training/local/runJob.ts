import type { AzureMlJsonlLine } from '../../../shared/domain/azureMlJsonl';
import { toNormalizedBox, toPixelBox } from '../../../shared/domain/normalizedBox';
import type { ImagePrediction, ManifestLine } from '../../../shared/ports/trainingBackend';
import type { TrainingFiles } from '../../../shared/ports/trainingFiles';
import { mapBounded } from '../../../shared/util/mapBounded';
import type { DetectorEngine, TrainingExample } from './detectorEngine';
import {
  cancelFile,
  heartbeatIntervalMs,
  isTerminal,
  jobFile,
  modelFile,
  predictionsFolder,
  statusFile,
  type LocalJobSpec,
  type LocalJobStatus,
} from './localJobs';

/** Reads an image of the project's dataset container. */
export type ImageReader = (
  images: { connectionSetting: string; container: string },
  blobPath: string,
) => Promise<Buffer>;

export interface RunJobDeps {
  files: TrainingFiles;
  readImage: ImageReader;
  engine: DetectorEngine;
  now?: () => Date;
}

/** Images per prediction file: one part is one activity of the prelabel fan-out. */
export const predictionsPerPart = 500;
const imageReadConcurrency = 8;

const jsonLines = <T>(buffer: Buffer | undefined): T[] =>
  (buffer?.toString('utf8') ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);

export const partName = (index: number) => `part-${String(index).padStart(5, '0')}.jsonl`;

/**
 * Runs one local job to its end (in the runner process, see runnerMain.ts): reads its spec, keeps a heartbeat in its
 * status record, watches for a cancel request, and writes the outputs where Azure ML would put its own. A job that
 * already finished is left alone; a job started over after its runner died begins again (inference resumes: parts
 * already written are kept).
 */
export async function runJob(jobId: string, deps: RunJobDeps): Promise<LocalJobStatus> {
  const { files } = deps;
  const now = () => (deps.now?.() ?? new Date()).toISOString();
  const spec = JSON.parse((await files.read(jobFile(jobId)))?.toString('utf8') ?? 'null') as LocalJobSpec | null;
  if (!spec) throw new Error(`local job ${jobId} has no job.json`);
  const previous = JSON.parse(
    (await files.read(statusFile(jobId)))?.toString('utf8') ?? 'null',
  ) as LocalJobStatus | null;
  if (previous && isTerminal(previous)) return previous;

  let status: LocalJobStatus = {
    state: 'running',
    heartbeatAt: now(),
    startedAt: now(),
    attempt: (previous?.attempt ?? 0) + 1,
    progress: 0,
  };
  const save = () => files.write(statusFile(jobId), JSON.stringify(status), 'application/json');
  await save();

  const abort = new AbortController();
  let beating = Promise.resolve();
  const heartbeat = setInterval(() => {
    beating = beating.then(async () => {
      if (await files.read(cancelFile(jobId))) abort.abort(new Error('canceled'));
      status = { ...status, heartbeatAt: now() };
      await save();
    });
  }, heartbeatIntervalMs);
  heartbeat.unref();

  const update = (changes: Partial<LocalJobStatus>) => {
    status = { ...status, ...changes, heartbeatAt: now() };
  };
  try {
    if (await files.read(cancelFile(jobId))) abort.abort(new Error('canceled'));
    abort.signal.throwIfAborted();
    const metrics =
      spec.kind === 'train'
        ? await train(spec, deps, abort.signal, update)
        : await infer(spec, deps, abort.signal, update);
    status = {
      ...status,
      state: 'completed',
      progress: 1,
      metrics: { ...status.metrics, ...metrics },
      finishedAt: now(),
    };
  } catch (err) {
    const canceled = abort.signal.aborted;
    status = {
      ...status,
      state: canceled ? 'canceled' : 'failed',
      reason: canceled ? 'canceled' : err instanceof Error ? err.message : String(err),
      finishedAt: now(),
    };
  } finally {
    clearInterval(heartbeat);
    await beating.catch(() => undefined);
  }
  status.heartbeatAt = now();
  await save();
  return status;
}

type Update = (changes: Partial<LocalJobStatus>) => void;

async function train(
  spec: Extract<LocalJobSpec, { kind: 'train' }>,
  { files, readImage, engine }: RunJobDeps,
  signal: AbortSignal,
  update: Update,
): Promise<Record<string, number>> {
  const { request, trainer } = spec;
  const lines = jsonLines<AzureMlJsonlLine>(await files.read(`${request.dataset.folder}/train/data.jsonl`));
  if (lines.length === 0) throw new Error('the training split is empty');
  const examples = await mapBounded(lines, imageReadConcurrency, async (line): Promise<TrainingExample> => {
    signal.throwIfAborted();
    const width = line.image_details?.width ?? 0;
    const height = line.image_details?.height ?? 0;
    if (!(width > 0 && height > 0)) throw new Error(`dataset line for ${line.image_url} has no image size`);
    return {
      image: await readImage(request.images, line.image_url),
      boxes: line.label.map((b) => toPixelBox(b, { width, height })),
    };
  });
  const started = Date.now();
  let lastLoss = Number.NaN;
  const model = await engine.train(examples, {
    labels: request.dataset.labels,
    ...trainer,
    signal,
    onProgress: ({ epoch, epochs, loss }) => {
      lastLoss = loss;
      update({ progress: epoch / epochs, metrics: { loss, epoch } });
    },
  });
  await files.write(modelFile(request.projectId, request.runId), model);
  return { loss: lastLoss, trainImages: examples.length, trainSeconds: (Date.now() - started) / 1000 };
}

async function infer(
  spec: Extract<LocalJobSpec, { kind: 'infer' }>,
  { files, readImage, engine }: RunJobDeps,
  signal: AbortSignal,
  update: Update,
): Promise<Record<string, number>> {
  const { request } = spec;
  const model = await files.read(modelFile(request.projectId, request.runId));
  if (!model)
    throw new Error(`no model at ${modelFile(request.projectId, request.runId)}: the training job did not save one`);
  const manifest = jsonLines<ManifestLine>(await files.read(request.input.manifest));
  const folder = predictionsFolder(request.projectId, request.runId);
  const written = new Set(await files.list(folder));
  const detector = await engine.load(model);
  const started = Date.now();
  let predicted = 0;
  try {
    const parts = Math.ceil(manifest.length / predictionsPerPart);
    for (let part = 0; part < parts; part++) {
      const path = folder + partName(part);
      if (written.has(path)) continue; // resumed job: this part was finished by an earlier attempt
      const lines = manifest.slice(part * predictionsPerPart, (part + 1) * predictionsPerPart);
      const predictions: ImagePrediction[] = [];
      for (const line of lines) {
        signal.throwIfAborted();
        const boxes = await detector.predict(await readImage(request.images, line.blobPath));
        predictions.push({
          taskId: line.taskId,
          boxes: boxes.map((b) => ({ ...toNormalizedBox(b, line), score: b.score })),
        });
        predicted++;
      }
      await files.write(path, predictions.map((p) => JSON.stringify(p)).join('\n') + '\n', 'application/jsonl');
      update({ progress: (part + 1) / parts });
    }
  } finally {
    detector.dispose();
  }
  return { images: manifest.length, msPerImage: predicted > 0 ? (Date.now() - started) / predicted : 0 };
}
