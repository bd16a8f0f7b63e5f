import type { HttpResponseInit } from '@azure/functions';
import type { SubmissionOutcome } from '../../shared/services/submissions';
import { problem } from './problem';

/** Maps a refused labeling action to its HTTP answer: 404 for a task that does not exist, 409 for the rest. */
export function refusedProblem(refused: Extract<SubmissionOutcome, { kind: 'refused' }>): HttpResponseInit {
  const status = refused.code === 'TASK_NOT_FOUND' ? 404 : 409;
  return problem(status, status === 404 ? 'Not found' : 'Conflict', refused.message, { code: refused.code });
}
