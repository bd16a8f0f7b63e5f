import type { InferenceJobRequest, ProviderJobStatus, TrainingJobRequest } from '../../../shared/ports/trainingBackend';

/**
 * The local runner's job records, kept in the training container like Azure ML keeps a job's inputs and outputs:
 *   <project>/<run>/jobs/<kind>/job.json     what to do (written once, never changed)
 *   <project>/<run>/jobs/<kind>/status.json  the runner's progress, rewritten with a heartbeat while it works
 *   <project>/<run>/jobs/<kind>/cancel       present once cancel was asked for
 * The job id is that folder, so the id alone finds everything.
 */

export type LocalJobKind = 'train' | 'infer';

export type LocalJobSpec =
  | { kind: 'train'; request: TrainingJobRequest; trainer: LocalTrainerOptions }
  | { kind: 'infer'; request: InferenceJobRequest; trainer: LocalTrainerOptions };

export interface LocalTrainerOptions {
  epochs: number;
  inputSize: number;
  workers: number;
}

export interface LocalJobStatus extends ProviderJobStatus {
  /** Renewed every few seconds while a runner works on the job: a stale one means the runner is gone. */
  heartbeatAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Which attempt this is: a job whose runner died is started over. */
  attempt: number;
}

export const localJobId = (projectId: string, runId: string, kind: LocalJobKind) =>
  `${projectId}/${runId}/jobs/${kind}`;
export const jobFile = (jobId: string) => `${jobId}/job.json`;
export const statusFile = (jobId: string) => `${jobId}/status.json`;
export const cancelFile = (jobId: string) => `${jobId}/cancel`;
export const modelFile = (projectId: string, runId: string) => `${projectId}/${runId}/model/detector.bin`;
export const predictionsFolder = (projectId: string, runId: string) => `${projectId}/${runId}/predictions/`;

/** How long a runner may go without a heartbeat before its job is taken to be abandoned (and started over). */
export const heartbeatIntervalMs = 5_000;
export const staleAfterMs = 60_000;

export function isTerminal(status: Pick<ProviderJobStatus, 'state'>): boolean {
  return status.state === 'completed' || status.state === 'failed' || status.state === 'canceled';
}
