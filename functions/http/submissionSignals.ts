import type { DurableClient } from 'durable-functions';
import type { SubmissionOutcome } from '../../shared/services/submissions';
import { nudgeMlAssist, signalBatchEnded } from './labelingSignals';

/** What an accepted submission tells the orchestrations: the session that its batch ended, ML Assist to look. */
export async function signalSubmission(
  client: DurableClient,
  projectId: string,
  labelerId: string,
  outcome: Extract<SubmissionOutcome, { kind: 'accepted' }>,
): Promise<void> {
  if (outcome.finishedBatch) await signalBatchEnded(client, projectId, labelerId, outcome.finishedBatch.id);
  if (outcome.trainingDue) await nudgeMlAssist(client, projectId);
}
