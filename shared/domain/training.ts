import type { MlAssistSettings } from './project';
import type { TrainingRun } from './labelingRecords';

/**
 * The labeled-image count at which the next training run is requested, or undefined when none is due:
 *  - no run yet → the initial threshold (250 by default);
 *  - the last run's model was rejected by the validation gate → that run's count plus the extra labels asked for;
 *  - a run is still in progress or produced a model → nothing new here (the ML Assist loop decides retraining).
 */
export function nextTrainingThreshold(settings: MlAssistSettings, runs: readonly TrainingRun[]): number | undefined {
  if (!settings.enabled) return undefined;
  if (runs.length === 0) return settings.initialTrainingThreshold;
  const last = [...runs].sort((a, b) => a.threshold - b.threshold)[runs.length - 1]!;
  if (last.state === 'rejected' || last.state === 'failed') {
    return Math.max(last.threshold, last.labeledAtRequest) + settings.additionalLabelsOnRejectedModel;
  }
  return undefined;
}

/** One id per threshold crossing: concurrent evaluations of the same crossing insert the same record. */
export function trainingRunIdFor(threshold: number): string {
  return `run-${String(threshold).padStart(9, '0')}`;
}
