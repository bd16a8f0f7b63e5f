import { calibrate, type CalibrationModel } from '../domain/calibration';
import type { TrainingRun } from '../domain/labelingRecords';
import { toPixelBox } from '../domain/normalizedBox';
import { alreadyApplied, decidePrediction, type PartApplied } from '../domain/prelabeling';
import type { Task } from '../domain/task';
import { imageConfidence } from '../domain/uncertainty';
import type { Store } from '../ports/store';
import type { ImagePrediction, TrainingBackend } from '../ports/trainingBackend';

export interface PredictionsDeps {
  store: Store;
  backend: Pick<TrainingBackend, 'predictionParts' | 'readPredictions'>;
  now?: () => Date;
}

export const calibrationOf = (run: TrainingRun): CalibrationModel => ({
  kind: run.evaluation?.calibration.kind ?? 'identity',
  a: run.evaluation?.calibration.a ?? -1,
  b: run.evaluation?.calibration.b ?? 0,
  input: 'logit',
});

/**
 * Writes one part of a run's predictions onto the tasks (one activity of the prelabel fan-out): calibrated scores,
 * boxes at or above the gate's threshold as prelabels when the run passed, and every image's confidence for the
 * least-confident-first queue. Each task is one read–decide–write (shared/domain/prelabeling.ts), so applying a
 * part again (a retried activity, a fan-out resumed after a crash) writes nothing twice and counts the same.
 */
export class PredictionsService {
  readonly #d: PredictionsDeps;

  constructor(deps: PredictionsDeps) {
    this.#d = deps;
  }

  async parts(run: TrainingRun): Promise<string[]> {
    if (!run.inferenceJob) return [];
    return this.#d.backend.predictionParts(run.inferenceJob.jobId);
  }

  async applyPart(projectId: string, runId: string, part: string): Promise<PartApplied> {
    const { store, backend } = this.#d;
    const run = (await store.trainingRuns.get(projectId, runId))?.value;
    if (!run?.inferenceJob || !run.gate) throw new Error(`run ${runId} of ${projectId} has no evaluated predictions`);
    const predictions = await backend.readPredictions(run.inferenceJob.jobId, part);
    const calibration = calibrationOf(run);
    const passed = run.gate.passed && run.gate.threshold !== undefined;
    const threshold = run.gate.threshold ?? 1;
    const at = (this.#d.now?.() ?? new Date()).toISOString();
    const items = predictions.map((prediction) => ({
      taskId: prediction.taskId,
      mutation: (task: Task | undefined) => decidePrediction(task, predictionFor(task, prediction)),
    }));
    const predictionFor = (task: Task | undefined, prediction: ImagePrediction) => {
      const scores = prediction.boxes.map((b) => calibrate(calibration, b.score));
      const size = { width: task?.width ?? 0, height: task?.height ?? 0 };
      const boxes = prediction.boxes
        .map((b, i) => ({ box: toPixelBox(b, size, round(scores[i]!)), keep: scores[i]! >= threshold }))
        .filter(({ box, keep }) => keep && box.width > 0 && box.height > 0)
        // Hundredths of a pixel: a client that sends the boxes back as they came (accept unchanged) matches exactly.
        .map(({ box }) => ({ ...box, x: px(box.x), y: px(box.y), width: px(box.width), height: px(box.height) }));
      return { runId, boxes, confidence: round(imageConfidence(scores)), threshold, prelabel: passed, at };
    };
    // Counted from the predictions, not the stored tasks, so a retried part (its writes ignored) counts the same.
    const prelabels = (p: ImagePrediction) =>
      passed &&
      p.boxes.some((b) => b.bottomX > b.topX && b.bottomY > b.topY && calibrate(calibration, b.score) >= threshold);
    let prelabeled = 0;
    let scored = 0;
    const results = await store.tasks.mutateMany(projectId, items);
    results.forEach((result, i) => {
      if (result.outcome !== 'written' && result.reason !== alreadyApplied) return;
      scored++;
      if (prelabels(predictions[i]!)) prelabeled++;
    });
    return { prelabeled, scored };
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const px = (v: number) => Math.round(v * 100) / 100;
