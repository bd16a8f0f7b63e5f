import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import {
  labelingActivities,
  type AllocateBatchInput,
  type AllocatedBatch,
  type ExpireBatchInput,
  type ExpireBatchResult,
  type MlAssistInput,
} from '../shared/domain/labelingWorkflow';
import { LabelingService } from '../shared/services/labeling';

/** Activities of the labeler-session and ML Assist orchestrations: thin calls into the labeling service. */
function labeling(): LabelingService {
  const { store, records, blobs } = services();
  return new LabelingService({ store, records, blobs });
}

df.app.activity(labelingActivities.allocateBatch, {
  handler: async (input: AllocateBatchInput): Promise<AllocatedBatch> => {
    const batch = await labeling().allocateBatch(input.projectId, input.labelerId, input.requestId);
    const live = batch.state === 'live' && batch.labelerId === input.labelerId;
    return { batchId: batch.id, taskCount: live ? batch.taskIds.length : 0, leaseExpiresAt: batch.leaseExpiresAt };
  },
});

df.app.activity(labelingActivities.expireBatch, {
  handler: (input: ExpireBatchInput): Promise<ExpireBatchResult> =>
    labeling().expireBatch(input.projectId, input.batchId),
});

df.app.activity(labelingActivities.evaluateTraining, {
  handler: async (input: MlAssistInput): Promise<{ requested?: string }> => {
    const run = await labeling().evaluateTrainingTrigger(input.projectId);
    return run ? { requested: run.id } : {};
  },
});
