import { sameLabels } from '../annotation';
import type { Decision } from '../blobFacts';
import { alreadyApplied, writePrediction } from '../prelabeling';
import type { Annotation, Box, Task } from '../task';
import { imageConfidence } from '../uncertainty';

/**
 * What an import does to one task. Human work always wins: an image a person labeled or skipped differently, or one
 * out in a labeler's live batch, is left alone and reported; the same labels already recorded change nothing, which
 * is what makes running an import twice harmless.
 */

/** Why an import left a task alone; the report counts each. */
export const importSkips = {
  unchanged: 'same labels already recorded',
  conflict: 'labeled or skipped differently by a person: left alone',
  inBatch: "in a labeler's live batch: left alone",
  gone: 'no longer an image of the project',
  humanWork: 'labeled or skipped already: prelabels are for unlabeled images',
} as const;
export type ImportSkip = keyof typeof importSkips;

const skipOf = new Map<string, ImportSkip>(Object.entries(importSkips).map(([k, v]) => [v as string, k as ImportSkip]));
skipOf.set(alreadyApplied, 'unchanged');

/** The skip a decision's ignore reason stands for (undefined: not one of an import's). */
export const importSkipOf = (reason: string | undefined): ImportSkip | undefined =>
  reason === undefined ? undefined : skipOf.get(reason);

export interface Importer {
  importId: string;
  format: string;
  now: string;
}

/** The identity imported labels are recorded under (`annotation.by`). */
export const importIdentity = (importId: string) => `import:${importId}`;

const ignore = (skip: ImportSkip): Decision => ({ kind: 'ignore', reason: importSkips[skip] });

/** Imported labels: a `new` or `prelabeled` task becomes `labeled` with them. */
export function decideImportedLabels(task: Task | undefined, boxes: Box[], by: Importer): Decision {
  if (!task || task.state === 'removed' || task.state === 'rejected') return ignore('gone');
  if (task.state === 'assigned') return ignore('inBatch');
  if (task.state === 'labeled') return ignore(sameLabels(task.annotation ?? {}, { boxes }) ? 'unchanged' : 'conflict');
  if (task.state === 'skipped') {
    // "No objects" is what an image without boxes says: the same answer.
    return ignore(task.skip?.reason === 'noObjects' && boxes.length === 0 ? 'unchanged' : 'conflict');
  }
  const annotation: Annotation = {
    boxes,
    by: importIdentity(by.importId),
    at: by.now,
    imported: { importId: by.importId, format: by.format },
  };
  const { assignment: _a, releasedFrom: _r, skip: _s, pendingPrelabel: _p, ...rest } = task;
  return { kind: 'write', task: { ...rest, state: 'labeled', annotation, updatedAt: by.now } };
}

/** The prelabel run id of an import. */
export const importRunId = (importId: string) => `import:${importId}`;

/**
 * Imported detections (or another tool's labels, `as: 'prelabels'`) as prelabels, with the rules of a model run's predictions (shared/domain/prelabeling.ts):
 * boxes at or above `threshold` are shown for review, every score ranks the queue, a task in a live batch gets them
 * once the batch lets it go, labeled and skipped tasks are never touched. An import replaces whatever run
 * prelabeled the image before (an admin chose to import it); the project's next model run replaces it in turn.
 */
export function decideImportedPrelabel(
  task: Task | undefined,
  detections: Box[],
  threshold: number,
  by: Importer,
): Decision {
  if (!task || task.state === 'removed' || task.state === 'rejected') return ignore('gone');
  if (task.state === 'labeled' || task.state === 'skipped') return ignore('humanWork');
  const runId = importRunId(by.importId);
  const held = [task.prelabel, task.pendingPrelabel, task.modelScore].some((p) => p?.modelRunId === runId);
  if (held) return ignore('unchanged');
  // Boxes from a labels file carry no score: someone drew them, so they are shown as sure.
  const scores = detections.map((b) => b.score ?? 1);
  return writePrediction(task, {
    runId,
    boxes: detections.filter((b) => (b.score ?? 1) >= threshold),
    confidence: Math.round(imageConfidence(scores) * 1e6) / 1e6,
    threshold,
    prelabel: true,
    at: by.now,
  });
}
