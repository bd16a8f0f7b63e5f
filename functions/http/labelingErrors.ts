import type { HttpResponseInit } from '@azure/functions';
import { LabelingError } from '../../shared/domain/labeling';
import { problem } from './problem';

/** Maps a refused labeling action to its HTTP answer; rethrows anything unexpected. */
export function labelingProblem(err: unknown): HttpResponseInit {
  if (!(err instanceof LabelingError)) throw err;
  const status = err.code === 'TASK_NOT_FOUND' ? 404 : 409;
  return problem(status, status === 404 ? 'Not found' : 'Conflict', err.message, { code: err.code });
}
