import { z } from 'zod';
import { activity, event, orchestration, storeRetry } from './contract';

/** Contracts of the labeling workflows: the labeler sessions and the project's ML Assist coordinator. */

const id = z.string().min(1).max(256);

export const labelerSessionInput = z
  .object({
    projectId: id,
    labelerId: id,
    /** The request that started this session execution, if any. */
    requestId: id.optional(),
  })
  .strict();
export type LabelerSessionInput = z.infer<typeof labelerSessionInput>;

/** One per (project, labeler): allocates the labeler's batches and holds each until it ends or its lease runs out. */
export const labelerSession = orchestration<LabelerSessionInput, undefined>('labelerSession', labelerSessionInput);

/** The session's custom status: which request it serves and, once allocated, which batch. */
export interface LabelerSessionStatus {
  requestId: string;
  batchId?: string;
  leaseExpiresAt?: string;
}

export interface AllocatedBatch {
  batchId: string;
  /** 0 when nothing was allocated (an empty batch, with its reason stored on the batch). */
  taskCount: number;
  leaseExpiresAt: string;
}

export const allocateBatch = activity<{ projectId: string; labelerId: string; requestId: string }, AllocatedBatch>(
  'allocateBatchActivity',
  z.object({ projectId: id, labelerId: id, requestId: id }).strict(),
  storeRetry,
);

export interface ExpireBatchResult {
  closed: boolean;
  /** The lease as extended by submissions, when the batch is still in use. */
  leaseExpiresAt?: string;
}

export const expireBatch = activity<{ projectId: string; batchId: string }, ExpireBatchResult>(
  'expireBatchActivity',
  z.object({ projectId: id, batchId: id }).strict(),
  storeRetry,
);

/** Raised by `POST …/batches` when the labeler holds no live batch. */
export const requestBatch = event('requestBatch', z.object({ requestId: id }).strict());
export type BatchRequestEvent = z.infer<typeof requestBatch.payload>;

/** Raised when the live batch was finished or released, so the session stops waiting for its lease. */
export const batchEnded = event('batchEnded', z.object({ batchId: id }).strict());
export type BatchEndedEvent = z.infer<typeof batchEnded.payload>;

export const mlAssistInput = z.object({ projectId: id }).strict();
export type MlAssistInput = z.infer<typeof mlAssistInput>;

/**
 * The project's ML Assist coordinator (a singleton): requests a training run when the labeled count reaches the
 * next threshold. It sleeps on the `labeled` event only, with no timer, so an idle app can scale to zero.
 */
export const mlAssist = orchestration<MlAssistInput, undefined>('mlAssist', mlAssistInput);

export interface TrainingEvaluation {
  /** The id of the run requested by this evaluation. */
  requested?: string;
  /** The labeled count the next run waits for, when one is pending. */
  nextThreshold?: number;
  /** The project is gone or archived: the coordinator stops. */
  stop?: boolean;
}

export const evaluateTraining = activity<MlAssistInput, TrainingEvaluation>(
  'evaluateTrainingTriggerActivity',
  mlAssistInput,
  storeRetry,
);

/**
 * Raised by labeled submissions once the labeled count has reached the next training threshold, and by the
 * reconcile timer when it finds one due: a hint to re-evaluate (the store decides).
 */
export const labeled = event('labeled', z.null());
