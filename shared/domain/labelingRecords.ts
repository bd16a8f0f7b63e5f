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

export type TrainingRunState = 'requested' | 'queued' | 'running' | 'validating' | 'completed' | 'rejected' | 'failed';

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
}
