import { maxBoxesPerImage } from './annotation';
import type { Decision } from './blobFacts';
import type { Box, Prelabel, Task } from './task';

/**
 * Writing a model's predictions onto tasks (the prelabel fan-out). Human work always wins: labeled, skipped, removed
 * and rejected tasks are never touched, and a task out in a live batch keeps what its labeler sees (the prelabel
 * waits in `pendingPrelabel` until the batch lets it go). A newer run replaces an older run's prelabel; the same
 * run applied twice (a retried activity) changes nothing.
 */

export interface ModelPrediction {
  runId: string;
  /** Boxes in image pixels with calibrated scores, already filtered to the run's threshold. */
  boxes: Box[];
  /** Image confidence for the queue (shared/domain/uncertainty.ts). */
  confidence: number;
  threshold: number;
  /** Whether the run passed the gate: only then do boxes become prelabels; otherwise the score only ranks. */
  prelabel: boolean;
  at: string;
}

/** What applying one part of a run's predictions did (one activity of the prelabel fan-out). */
export interface PartApplied {
  /** Tasks of the part that hold this run's prelabel (written now, or by an earlier attempt of the same part). */
  prelabeled: number;
  /** Tasks of the part this run scored for the queue (prelabeled or not). */
  scored: number;
}

/** Run ids sort in the order runs were requested (`run-<count>`, zero-padded; see shared/domain/training.ts). */
export const isNewerRun = (a: string, b: string | undefined) => b === undefined || a > b;

/** The ignore reason for a prediction this task already holds (a retried part counts it as applied). */
export const alreadyApplied = 'already has this run';

export function decidePrediction(task: Task | undefined, p: ModelPrediction): Decision {
  if (!task) return { kind: 'ignore', reason: 'no such task' };
  if (task.state !== 'new' && task.state !== 'prelabeled' && task.state !== 'assigned') {
    return { kind: 'ignore', reason: `task is ${task.state}` };
  }
  const latest = [task.prelabel?.modelRunId, task.pendingPrelabel?.modelRunId, task.modelScore?.modelRunId]
    .filter((r): r is string => r !== undefined)
    .sort()
    .pop();
  if (latest === p.runId) return { kind: 'ignore', reason: alreadyApplied };
  if (!isNewerRun(p.runId, latest)) return { kind: 'ignore', reason: 'a newer run already scored it' };
  return writePrediction(task, p);
}

/**
 * A prelabel a labeler can accept as it is: a submission holds at most `maxBoxesPerImage` boxes, so a model that
 * found more keeps its highest-scoring ones (the rest would be below them anyway; the labeler adds what is missing).
 */
function acceptable(boxes: Box[]): Box[] {
  if (boxes.length <= maxBoxesPerImage) return boxes;
  return [...boxes].sort((a, b) => (b.score ?? 0) - (a.score ?? 0)).slice(0, maxBoxesPerImage);
}

/**
 * The write once a prediction is to be applied to a `new`, `prelabeled` or `assigned` task (decidePrediction for a
 * run; an imported results file decides which prediction wins its own way, shared/domain/imports/decideImport.ts).
 */
export function writePrediction(task: Task, p: ModelPrediction): Decision {
  const modelScore = { modelRunId: p.runId, confidence: p.confidence, at: p.at };
  const prelabel: Prelabel | undefined =
    p.prelabel && p.boxes.length > 0
      ? { boxes: acceptable(p.boxes), modelRunId: p.runId, confidence: p.confidence, threshold: p.threshold, at: p.at }
      : undefined;

  if (task.state === 'assigned') {
    const { pendingPrelabel: _old, ...rest } = task;
    return {
      kind: 'write',
      task: { ...rest, modelScore, ...(prelabel ? { pendingPrelabel: prelabel } : {}), updatedAt: p.at },
    };
  }
  // An older run's prelabel goes when the newer model has nothing above its threshold here.
  const { prelabel: _old, ...rest } = task;
  return {
    kind: 'write',
    task: {
      ...rest,
      modelScore,
      ...(prelabel ? { prelabel } : {}),
      state: prelabel ? 'prelabeled' : 'new',
      updatedAt: p.at,
    },
  };
}
