/**
 * Which human-labeled tasks are held out to validate a trained model. The sizes follow SageMaker Ground Truth's
 * automated labeling: 20% of the labeled set below 5,000 labels, 10% from 5,000 on.
 *
 * The choice is a hash of (projectId, taskId), not a random draw, so it needs no stored state and a task keeps its
 * side as the labeled set grows: each task has a fixed position u in [0, 1) and is held out while u < the current
 * fraction. Below 5,000 that fraction never changes, so no task ever changes side. At 5,000 it falls from 0.2 to
 * 0.1 and the tasks with u in [0.1, 0.2) (half the held-out set) move to training; none moves the other way, so a
 * task a model has trained on never later validates a model (which would flatter it). If the count falls back
 * below 5,000 (tasks removed) those tasks return to validation although the models trained in between have seen
 * them; the next model, trained on the split as it then is, is judged fairly again.
 */

export const smallSetValidationFraction = 0.2;
export const largeSetValidationFraction = 0.1;
/** Labeled count from which the smaller fraction applies. */
export const largeSetMinimum = 5_000;

const utf8 = new TextEncoder();

export function validationFraction(labeledCount: number): number {
  return labeledCount < largeSetMinimum ? smallSetValidationFraction : largeSetValidationFraction;
}

/** The task's fixed position in [0, 1): FNV-1a 32 over the UTF-8 bytes, then murmur3's finalizer. */
export function splitPosition(projectId: string, taskId: string): number {
  // The NUL keeps ("ab", "c") and ("a", "bc") apart; ids cannot contain control characters (shared/domain/ids.ts).
  const bytes = utf8.encode(`${projectId}\u0000${taskId}`);
  let h = 0x811c9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  // FNV-1a's last bytes barely reach the high bits, and those decide u; the finalizer spreads every bit to all.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

export function isValidation(projectId: string, taskId: string, labeledCount: number): boolean {
  return splitPosition(projectId, taskId) < validationFraction(labeledCount);
}

/** The labeled count defaults to the number of tasks given, the usual case (every labeled task of the project). */
export function splitTasks(
  projectId: string,
  taskIds: readonly string[],
  labeledCount: number = taskIds.length,
): { training: string[]; validation: string[] } {
  const fraction = validationFraction(labeledCount);
  const training: string[] = [];
  const validation: string[] = [];
  for (const id of taskIds) (splitPosition(projectId, id) < fraction ? validation : training).push(id);
  return { training, validation };
}
