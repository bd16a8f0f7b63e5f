import type { MlAssistSettings } from './project';
import type { TrainingRun } from './labelingRecords';
import { isActiveRun } from './trainingRun';

/**
 * The labeled-image count at which the next training run is requested, or undefined when none is due:
 *  - no run yet → the initial threshold (250 by default);
 *  - a run is still in progress → nothing until it ends;
 *  - the last run's model was rejected by the validation gate → its count plus the labels the gate asked for
 *    (shared/domain/validationGate.ts: a growth rule, then the learning curve), or the project's figure;
 *  - the last run failed or was canceled → its count plus the project's figure (a provider failure would otherwise
 *    retry on every poll; "train now" retries sooner);
 *  - the last run's model passed → its count plus `retrainAfterLabels`.
 */
export function nextTrainingThreshold(settings: MlAssistSettings, runs: readonly TrainingRun[]): number | undefined {
  if (!settings.enabled) return undefined;
  if (runs.length === 0) return settings.initialTrainingThreshold;
  if (runs.some(isActiveRun)) return undefined;
  const last = [...runs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[runs.length - 1]!;
  const base = Math.max(last.threshold, last.labeledAtRequest);
  switch (last.state) {
    case 'rejected':
      return base + (last.gate?.additionalLabelsNeeded ?? settings.additionalLabelsOnRejectedModel);
    case 'failed':
    case 'canceled':
      return base + settings.additionalLabelsOnRejectedModel;
    case 'completed':
      return base + settings.retrainAfterLabels;
    default:
      return undefined;
  }
}

/**
 * One id per threshold crossing: concurrent evaluations of the same crossing insert the same record. Ids sort in the
 * order runs are requested (the newer run's prelabels replace the older's, shared/domain/prelabeling.ts).
 */
export function trainingRunIdFor(threshold: number): string {
  return `run-${String(threshold).padStart(9, '0')}`;
}

/** What `trainingRunIdFor` and `manualRunIdFor` make: a string that does not match cannot name a run. */
export const trainingRunIdPattern = /^run-\d{9}(-manual)?$/;

/** "Train now" at a labeled count: one run per count, so a double click starts one run. */
export function manualRunIdFor(labeled: number): string {
  return `${trainingRunIdFor(labeled)}-manual`;
}
