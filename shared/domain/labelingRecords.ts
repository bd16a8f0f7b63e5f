/** Records of the labeling workflow: project memberships, labelers' batches and training-run requests. */

export type MemberRole = 'labeler' | 'admin';

export interface Member {
  projectId: string;
  userId: string;
  role: MemberRole;
  addedAt: string;
  addedBy: string;
}

export type BatchState = 'live' | 'done' | 'released' | 'expired';

export interface Batch {
  id: string;
  projectId: string;
  labelerId: string;
  /** The request that asked for it: a retried request finds the same batch. */
  requestId: string;
  taskIds: string[];
  /** Tasks of the batch already submitted or skipped; the batch is done when it holds every task id. */
  finishedTaskIds: string[];
  createdAt: string;
  leaseExpiresAt: string;
  state: BatchState;
  closedAt?: string;
  /** Why the batch is empty, when it is. */
  emptyReason?: string;
}

/**
 * A training run's life (transitions in shared/domain/trainingRun.ts):
 *   requested → queued → running → validating → prelabeling → completed
 *                                      └──────→ rejected (the gate said "not good enough yet")
 *   any active state → failed (provider failure, a job the provider lost) | canceled (by an admin)
 */
export const trainingRunStates = [
  'requested',
  'queued',
  'running',
  'validating',
  'prelabeling',
  'completed',
  'rejected',
  'failed',
  'canceled',
] as const;
export type TrainingRunState = (typeof trainingRunStates)[number];

export type ProviderJobState = 'queued' | 'running' | 'completed' | 'failed' | 'canceled';

/** What a training provider says about one of its jobs (shared/ports/trainingBackend.ts). */
export interface ProviderJobStatus {
  state: ProviderJobState;
  /** Why a job failed or was canceled, in the provider's words. */
  reason?: string;
  /** The provider's own figures (Azure ML's MLflow metrics, the local trainer's loss), for the run's record. */
  metrics?: Record<string, number>;
  /** 0–1, when the provider reports it. */
  progress?: number;
}

export interface ProviderJobRef {
  jobId: string;
  link?: string;
}

/** The held-out evaluation of a run's model (shared/domain/detectionMetrics.ts), on calibrated scores. */
export interface RunEvaluation {
  validationImages: number;
  mAP50: number;
  mAP50_95: number;
  matchedMeanIoU: number;
  perClass: Record<string, { ap50: number; truths: number }>;
  calibration: { kind: 'platt' | 'identity'; a: number; b: number; eceBefore: number; eceAfter: number };
}

/** The validation gate's decision. */
export interface GateDecision {
  passed: boolean;
  /** Calibrated score at or above which the model's boxes become prelabels (passed runs). */
  threshold?: number;
  precision: number;
  recall: number;
  meanIoU: number;
  reason?: string;
  /** Rejected runs: manual labels still needed before the next run, and how that was worked out. */
  additionalLabelsNeeded?: number;
  additionalLabelsRule?: string;
}

export interface TrainingRun {
  /** Deterministic per threshold crossing: the same crossing can only ever create one run. */
  id: string;
  projectId: string;
  state: TrainingRunState;
  /** Labeled-image count that had to be reached. */
  threshold: number;
  labeledAtRequest: number;
  requestedAt: string;
  trigger: 'threshold' | 'manual';
  /** Who asked, for runs started with "train now". */
  requestedBy?: string;
  provider?: 'local' | 'azureml';
  updatedAt?: string;
  finishedAt?: string;
  dataset?: { folder: string; trainCount: number; validationCount: number };
  trainingJob?: ProviderJobRef;
  inferenceJob?: ProviderJobRef;
  /** The provider's own figures (loss, Azure ML's metrics) and progress. */
  providerMetrics?: Record<string, number>;
  progress?: number;
  evaluation?: RunEvaluation;
  gate?: GateDecision;
  /** Prelabel fan-out: tasks that received this run's prelabels, scored for the queue, and parts applied. */
  predictions?: { parts: number; partsApplied: number; prelabeled: number; scored: number };
  /** Failed or canceled runs: why, in words a project owner can act on. */
  failure?: string;
  cancelRequested?: boolean;
}
