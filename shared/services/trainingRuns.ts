import type { DetectionImage } from '../domain/detectionMetrics';
import type { TrainingRun } from '../domain/labelingRecords';
import { toPixelBox } from '../domain/normalizedBox';
import type { Project } from '../domain/project';
import { gateMetric, judgeRun } from '../domain/runEvaluation';
import { applyRunEvent, isActiveRun, type RunEvent } from '../domain/trainingRun';
import type { Box } from '../domain/task';
import { ConflictError, type Store } from '../ports/store';
import type { ManifestLine, TrainingBackend } from '../ports/trainingBackend';
import type { TrainingFiles } from '../ports/trainingFiles';
import { inferenceManifest, writeInferenceManifest, writeTrainingDataset } from './trainingDataset';

export interface TrainingRunDeps {
  store: Store;
  backend: TrainingBackend;
  files: TrainingFiles;
  now?: () => Date;
}

export interface AdvanceOutcome {
  run: TrainingRun;
  /** The run's predictions are still to be written onto the tasks: the prelabel fan-out must be running. */
  applyPredictions: boolean;
  /** The run just finished: the project's ML Assist coordinator should look at what is due next. */
  finished: boolean;
}

/** Steps per advance: request → dataset + training job, or training done → inference job, in one poll. */
const maxStepsPerAdvance = 4;

export const needsPredictionsApplied = (run: TrainingRun) =>
  (run.state === 'prelabeling' || run.state === 'rejected') &&
  run.predictions !== undefined &&
  run.predictions.partsApplied < run.predictions.parts;

/**
 * Moves training runs along their state machine (shared/domain/trainingRun.ts) by asking the provider, never by
 * waiting on it: the poll timer calls `advance` for each run still in progress. Each step does its I/O, turns the
 * answer into an event and stores the run under its etag; a concurrent poll that got there first makes the write
 * fail with ConflictError and this one stops, so two pollers cannot both act on one state.
 */
export class TrainingRunService {
  readonly #d: TrainingRunDeps;

  constructor(deps: TrainingRunDeps) {
    this.#d = deps;
  }

  #now(): string {
    return (this.#d.now?.() ?? new Date()).toISOString();
  }

  /** Runs the poller must look at: in progress, or finished but with predictions still to write. */
  async runsToAdvance(): Promise<TrainingRun[]> {
    const { store } = this.#d;
    const runs: TrainingRun[] = [];
    for (const project of await store.projects.list()) {
      for (const run of await store.trainingRuns.list(project.id)) {
        if (isActiveRun(run) || needsPredictionsApplied(run)) runs.push(run);
      }
    }
    return runs;
  }

  async advance(projectId: string, runId: string): Promise<AdvanceOutcome | undefined> {
    const { store } = this.#d;
    const project = (await store.projects.get(projectId))?.value;
    let stored = await store.trainingRuns.get(projectId, runId);
    if (!stored) return undefined;
    const wasActive = isActiveRun(stored.value);
    for (let step = 0; step < maxStepsPerAdvance; step++) {
      const run = stored.value;
      const event = project
        ? await this.#step(project, run)
        : isActiveRun(run)
          ? ({ type: 'failed', reason: 'the project no longer exists' } as const)
          : undefined;
      if (!event) break;
      const next = applyRunEvent(run, event, this.#now());
      if (next === run) break;
      try {
        stored = await store.trainingRuns.replace(next, stored.etag);
      } catch (err) {
        if (err instanceof ConflictError) return undefined; // another poll moved it; it will be looked at again
        throw err;
      }
    }
    const run = stored.value;
    return { run, applyPredictions: needsPredictionsApplied(run), finished: wasActive && !isActiveRun(run) };
  }

  /** Progress of the prelabel fan-out; whether the run finished with it (its last part applied). */
  async recordPredictionsApplied(
    projectId: string,
    runId: string,
    counts: { partsApplied: number; prelabeled: number; scored: number },
  ): Promise<{ finished: boolean }> {
    const outcome = await this.#update(projectId, runId, { type: 'predictionsApplied', ...counts });
    return { finished: outcome !== undefined && outcome.before !== outcome.after.state && !isActiveRun(outcome.after) };
  }

  /** Applies one event under the run's etag, re-reading on a conflicting write. */
  async #update(
    projectId: string,
    runId: string,
    event: RunEvent,
  ): Promise<{ before: TrainingRun['state']; after: TrainingRun } | undefined> {
    const { store } = this.#d;
    for (let attempt = 0; attempt < 8; attempt++) {
      const stored = await store.trainingRuns.get(projectId, runId);
      if (!stored) return undefined;
      const next = applyRunEvent(stored.value, event, this.#now());
      if (next === stored.value) return { before: stored.value.state, after: next };
      try {
        return { before: stored.value.state, after: (await store.trainingRuns.replace(next, stored.etag)).value };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError(`Training run ${runId} kept changing; the update will be retried.`);
  }

  /**
   * Records an admin's cancel; the provider's job is canceled by the next advance. A finished run is left as it is
   * (and said so); repeating the request on a run being canceled changes nothing.
   */
  async requestCancel(
    projectId: string,
    runId: string,
    by: string,
  ): Promise<{ kind: 'unknown' } | { kind: 'finished' | 'canceling'; run: TrainingRun }> {
    const outcome = await this.#update(projectId, runId, { type: 'cancelRequested', by });
    if (!outcome) return { kind: 'unknown' };
    return { kind: isActiveRun({ state: outcome.before }) ? 'canceling' : 'finished', run: outcome.after };
  }

  /** One step of I/O for the run's state; the event it learned, or undefined when there is nothing to do now. */
  async #step(project: Project, run: TrainingRun): Promise<RunEvent | undefined> {
    const { backend, store, files } = this.#d;
    switch (run.state) {
      case 'requested': {
        const dataset = await writeTrainingDataset({ store, files, backend }, project, run);
        if (dataset.trainCount === 0)
          return { type: 'failed', reason: 'no labeled images with a known size to train on' };
        const job = await backend.startTraining({
          projectId: project.id,
          runId: run.id,
          images: project.dataset,
          dataset,
        });
        const { labels: _labels, ...summary } = dataset;
        return { type: 'trainingSubmitted', provider: backend.provider, dataset: summary, job };
      }
      case 'queued':
      case 'running': {
        const jobId = run.trainingJob!.jobId;
        if (run.cancelRequested) await backend.cancel(jobId);
        return { type: 'jobStatus', job: jobId, status: await backend.status(jobId) };
      }
      case 'validating': {
        if (!run.inferenceJob) {
          if (run.cancelRequested)
            return { type: 'jobStatus', job: run.trainingJob!.jobId, status: { state: 'canceled' } };
          const input = await writeInferenceManifest({ store, files, backend }, project, run);
          const job = await backend.startInference({
            projectId: project.id,
            runId: run.id,
            images: project.dataset,
            trainingJobId: run.trainingJob!.jobId,
            input,
          });
          return { type: 'inferenceSubmitted', job };
        }
        const jobId = run.inferenceJob.jobId;
        if (run.cancelRequested) await backend.cancel(jobId);
        const status = await backend.status(jobId);
        if (status?.state !== 'completed') return { type: 'jobStatus', job: jobId, status };
        return { ...(await this.#evaluate(project, run)), ...(status.metrics ? { metrics: status.metrics } : {}) };
      }
      default:
        return undefined;
    }
  }

  /** The gate: the model's predictions on the validation split against the human boxes. */
  async #evaluate(project: Project, run: TrainingRun): Promise<Extract<RunEvent, { type: 'evaluated' }>> {
    const { backend, store, files } = this.#d;
    const jobId = run.inferenceJob!.jobId;
    const manifest = (await files.read(inferenceManifest(run)))?.toString('utf8') ?? '';
    const validation = new Map<string, ManifestLine>();
    for (const line of manifest.split('\n')) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as ManifestLine;
      if (entry.split === 'validation') validation.set(entry.taskId, entry);
    }
    const parts = await backend.predictionParts(jobId);
    const predicted = new Map<string, Box[]>();
    for (const part of parts) {
      for (const prediction of await backend.readPredictions(jobId, part)) {
        const line = validation.get(prediction.taskId);
        if (line)
          predicted.set(
            prediction.taskId,
            prediction.boxes.map((b) => toPixelBox(b, line, b.score)),
          );
      }
    }
    const images: DetectionImage[] = [];
    for (const [taskId] of validation) {
      const task = (await store.tasks.get(project.id, taskId))?.value;
      if (!task || (task.state !== 'labeled' && task.state !== 'skipped')) continue;
      images.push({ id: taskId, truth: task.annotation?.boxes ?? [], predictions: predicted.get(taskId) ?? [] });
    }
    const earlierRuns = (await store.trainingRuns.list(project.id))
      .filter((r) => r.id !== run.id && r.gate && r.dataset)
      .map((r) => ({ labeled: r.dataset!.trainCount + r.dataset!.validationCount, metric: gateMetric(r.gate) }));
    const judgement = judgeRun({
      labels: project.labels.map((l) => l.name),
      images,
      labeled: (run.dataset?.trainCount ?? 0) + (run.dataset?.validationCount ?? 0),
      earlierRuns,
      gate: { minPrecision: project.mlAssist.minPrecision, minMeanIoU: project.mlAssist.minMeanIoU },
      moreLabels: { minimum: 50, maximum: Math.max(50, project.mlAssist.additionalLabelsOnRejectedModel * 4) },
    });
    return { type: 'evaluated', evaluation: judgement.evaluation, gate: judgement.gate, parts: parts.length };
  }
}
