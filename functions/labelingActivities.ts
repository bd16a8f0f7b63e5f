import { services } from '../adapters/composition';
import { BatchService } from '../shared/services/batches';
import { TrainingService } from '../shared/services/training';
import {
  allocateBatch,
  evaluateTraining,
  expireBatch,
  type AllocatedBatch,
  type ExpireBatchResult,
  type TrainingEvaluation,
} from '../shared/workflows/labeling';
import type { InputOf } from '../shared/workflows/contract';
import { batchRequestKey, batchesStored } from './http/batchRequest';
import { registerActivity } from './workflow/registerActivity';

/** Activities of the labeler-session and ML Assist orchestrations: thin calls into the services. */

const batches = () => new BatchService(services());

export async function allocateBatchActivity(input: InputOf<typeof allocateBatch>): Promise<AllocatedBatch> {
  const batch = await batches().allocate(input.projectId, input.labelerId, input.requestId);
  // The request waiting for this batch in this process reads it now rather than at its next status poll.
  batchesStored.fire(batchRequestKey(input.projectId, input.labelerId, input.requestId));
  const live = batch.state === 'live' && batch.labelerId === input.labelerId;
  return { batchId: batch.id, taskCount: live ? batch.taskIds.length : 0, leaseExpiresAt: batch.leaseExpiresAt };
}

export function expireBatchActivity(input: InputOf<typeof expireBatch>): Promise<ExpireBatchResult> {
  return batches().expire(input.projectId, input.batchId);
}

export async function evaluateTrainingActivity(input: InputOf<typeof evaluateTraining>): Promise<TrainingEvaluation> {
  const { requested, nextThreshold, stop } = await new TrainingService(services()).evaluateTrigger(input.projectId);
  if (stop) return { stop: true };
  return { ...(requested ? { requested: requested.id } : {}), ...(nextThreshold ? { nextThreshold } : {}) };
}

registerActivity(allocateBatch, allocateBatchActivity);
registerActivity(expireBatch, expireBatchActivity);
registerActivity(evaluateTraining, evaluateTrainingActivity);
