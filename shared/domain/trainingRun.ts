import type {
  GateDecision,
  ProviderJobRef,
  ProviderJobStatus,
  RunEvaluation,
  TrainingRun,
  TrainingRunState,
} from './labelingRecords';

/**
 * The training run state machine. Every event is applied to the stored run under its etag, and events arrive at
 * least once and sometimes late (a poll that raced another, a retried activity), so an event that does not fit the
 * run's current state changes nothing instead of failing: the same event twice is the same run.
 */

export const activeRunStates: readonly TrainingRunState[] = [
  'requested',
  'queued',
  'running',
  'validating',
  'prelabeling',
];
export const finishedRunStates: readonly TrainingRunState[] = ['completed', 'rejected', 'failed', 'canceled'];

export const isActiveRun = (run: Pick<TrainingRun, 'state'>) => activeRunStates.includes(run.state);

export type RunEvent =
  | {
      type: 'trainingSubmitted';
      provider: 'local' | 'azureml';
      dataset: NonNullable<TrainingRun['dataset']>;
      job: ProviderJobRef;
    }
  /** The provider's view of the run's current job (training while queued/running, inference while validating). */
  | { type: 'jobStatus'; job: string; status: ProviderJobStatus | undefined }
  | { type: 'inferenceSubmitted'; job: ProviderJobRef }
  /** The gate's verdict, with the prediction job's own figures (its last status). */
  | {
      type: 'evaluated';
      evaluation: RunEvaluation;
      gate: GateDecision;
      parts: number;
      metrics?: Record<string, number>;
    }
  | { type: 'predictionsApplied'; partsApplied: number; prelabeled: number; scored: number }
  | { type: 'cancelRequested'; by: string }
  | { type: 'failed'; reason: string };

/** The run after `event` at time `at` (ISO); the same object when the event does not apply to its state. */
export function applyRunEvent(run: TrainingRun, event: RunEvent, at: string): TrainingRun {
  const next = transition(run, event, at);
  return next === run ? run : { ...next, updatedAt: at };
}

function finished(run: TrainingRun, state: TrainingRunState, at: string, failure?: string): TrainingRun {
  return { ...run, state, finishedAt: at, ...(failure ? { failure } : {}) };
}

function transition(run: TrainingRun, event: RunEvent, at: string): TrainingRun {
  switch (event.type) {
    case 'trainingSubmitted':
      if (run.state !== 'requested') return run;
      return { ...run, state: 'queued', provider: event.provider, dataset: event.dataset, trainingJob: event.job };

    case 'jobStatus':
      return jobStatus(run, event.job, event.status, at);

    case 'inferenceSubmitted':
      if (run.state !== 'validating' || run.inferenceJob) return run;
      return { ...run, inferenceJob: event.job };

    case 'evaluated': {
      if (run.state !== 'validating' || !run.inferenceJob) return run;
      const evaluated: TrainingRun = {
        ...run,
        ...(event.metrics ? { providerMetrics: { ...run.providerMetrics, ...event.metrics } } : {}),
        evaluation: event.evaluation,
        gate: event.gate,
        predictions: { parts: event.parts, partsApplied: 0, prelabeled: 0, scored: 0 },
      };
      // A rejected model still ranks the manual queue (least confident first), but the decision is final now.
      return event.gate.passed ? { ...evaluated, state: 'prelabeling' } : finished(evaluated, 'rejected', at);
    }

    case 'predictionsApplied': {
      const p = run.predictions;
      if (!p || (run.state !== 'prelabeling' && run.state !== 'rejected')) return run;
      // Counts only grow: a late report of fewer applied parts (a retried activity) never moves them back.
      if (event.partsApplied < p.partsApplied) return run;
      const predictions = {
        parts: p.parts,
        partsApplied: Math.min(event.partsApplied, p.parts),
        prelabeled: Math.max(p.prelabeled, event.prelabeled),
        scored: Math.max(p.scored, event.scored),
      };
      const done = predictions.partsApplied === p.parts;
      if (run.state === 'prelabeling' && done) return finished({ ...run, predictions }, 'completed', at);
      return { ...run, predictions };
    }

    case 'cancelRequested':
      if (!isActiveRun(run)) return run;
      // Nothing at the provider yet, or only our own fan-out left: stop here. Otherwise the job is canceled at the
      // provider first, and the run ends when the provider confirms.
      if (run.state === 'requested')
        return finished({ ...run, cancelRequested: true }, 'canceled', at, `canceled by ${event.by}`);
      if (run.state === 'prelabeling') {
        return finished({ ...run, cancelRequested: true }, 'canceled', at, `canceled by ${event.by} while prelabeling`);
      }
      return run.cancelRequested ? run : { ...run, cancelRequested: true, failure: `canceled by ${event.by}` };

    case 'failed':
      if (!isActiveRun(run)) return run;
      return finished(run, 'failed', at, event.reason);
  }
}

function jobStatus(run: TrainingRun, jobId: string, status: ProviderJobStatus | undefined, at: string): TrainingRun {
  const training = (run.state === 'queued' || run.state === 'running') && run.trainingJob?.jobId === jobId;
  const inference = run.state === 'validating' && run.inferenceJob?.jobId === jobId;
  if (!training && !inference) return run;
  const what = training ? 'training' : 'prediction';
  if (status === undefined) {
    return finished(run, 'failed', at, `the provider no longer knows the ${what} job ${jobId}`);
  }
  const withFigures: TrainingRun = {
    ...run,
    ...(status.metrics ? { providerMetrics: { ...run.providerMetrics, ...status.metrics } } : {}),
    ...(status.progress !== undefined ? { progress: status.progress } : {}),
  };
  switch (status.state) {
    case 'queued':
      return changed(run, withFigures);
    case 'running':
      return training ? changed(run, { ...withFigures, state: 'running' }) : changed(run, withFigures);
    case 'completed':
      // Training done: the same model now predicts the validation split and the unlabeled tasks.
      return training ? { ...withFigures, state: 'validating', progress: 1 } : changed(run, withFigures);
    case 'failed':
      return finished(
        withFigures,
        'failed',
        at,
        `${what} job ${jobId} failed${status.reason ? `: ${status.reason}` : ''}`,
      );
    case 'canceled':
      return finished(withFigures, 'canceled', at, run.failure ?? `${what} job ${jobId} was canceled at the provider`);
  }
}

/** `candidate` if it differs from `run` in anything stored, else `run` itself (a poll that learned nothing). */
function changed(run: TrainingRun, candidate: TrainingRun): TrainingRun {
  return JSON.stringify(candidate) === JSON.stringify(run) ? run : candidate;
}

/** Whether the inference job of a validating run has completed: only the evaluation is left. */
export function readyToEvaluate(run: TrainingRun, status: ProviderJobStatus | undefined): boolean {
  return run.state === 'validating' && run.inferenceJob !== undefined && status?.state === 'completed';
}
