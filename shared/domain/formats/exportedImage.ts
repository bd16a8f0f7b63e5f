import type { Box, Task } from '../task';
import type { ExportInclude } from './exportRequest';
import { splitPosition } from '../validationSplit';

/** The two sides of a split export; `undefined` when the export is not split. */
export type SplitName = 'train' | 'validation';

/** One image as every format writes it: its boxes clipped to the image, in pixels. */
export interface ExportedImage {
  taskId: string;
  blobPath: string;
  contentType: string;
  width: number;
  height: number;
  boxes: Box[];
  /** Where the boxes came from: a person (or "no objects"), or the model's prelabel. */
  source: 'labeled' | 'prelabeled';
  split?: SplitName;
}

/** Clipped to the image (labels may overshoot its edge by a pixel); boxes with no area left are dropped. */
export function clipToImage(box: Box, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.width);
  const y1 = Math.min(height, box.y + box.height);
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { label: box.label, x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function boxesOf(task: Task, include: ExportInclude): { boxes: Box[]; source: ExportedImage['source'] } | undefined {
  if (task.state === 'labeled') return { boxes: task.annotation?.boxes ?? [], source: 'labeled' };
  if (task.state === 'skipped') return task.skip?.reason === 'noObjects' ? { boxes: [], source: 'labeled' } : undefined;
  // A prelabel out in a batch is still the model's suggestion until the labeler submits.
  const prelabeled = task.state === 'prelabeled' || (task.state === 'assigned' && task.prelabel !== undefined);
  if (include === 'labeled+prelabeled' && prelabeled)
    return { boxes: task.prelabel?.boxes ?? [], source: 'prelabeled' };
  return undefined;
}

/** Which side of a split export a task falls on: a hash of (project, seed, task), the same on every run. */
export function exportSplitOf(projectId: string, seed: number, taskId: string, validation: number): SplitName {
  // Ids cannot hold control characters (shared/domain/ids.ts), so the NUL keeps project and seed apart.
  return splitPosition(`${projectId}\u0000${seed}`, taskId) < validation ? 'validation' : 'train';
}

export interface ExportSelection {
  projectId: string;
  include: ExportInclude;
  split?: { validation: number; seed: number };
}

/**
 * The task as an exported image, or undefined when it is left out: removed and rejected images, images nobody has
 * labeled (nor, with `labeled+prelabeled`, the model), images skipped for another reason than "no objects", and
 * images whose size is unknown (no format can place their boxes).
 */
export function exportedImage(task: Task, selection: ExportSelection): ExportedImage | undefined {
  if (!task.width || !task.height || task.width <= 0 || task.height <= 0) return undefined;
  const chosen = boxesOf(task, selection.include);
  if (!chosen) return undefined;
  const { width, height } = task;
  const boxes = chosen.boxes.flatMap((b) => clipToImage(b, width, height) ?? []);
  const split = selection.split
    ? exportSplitOf(selection.projectId, selection.split.seed, task.id, selection.split.validation)
    : undefined;
  return {
    taskId: task.id,
    blobPath: task.blobPath,
    contentType: task.contentType,
    width,
    height,
    boxes,
    source: chosen.source,
    ...(split ? { split } : {}),
  };
}
