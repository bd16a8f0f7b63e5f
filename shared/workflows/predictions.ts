import { z } from 'zod';
import type { PartApplied } from '../domain/prelabeling';
import { predictionsInstancePrefix } from '../domain/orchestrationInstances';
import { activity, orchestration, storeRetry } from './contract';

/** Contracts of the prelabel fan-out (orchestrations/applyPredictions.ts, functions/predictionActivities.ts). */

const projectId = z.string().min(1).max(256);
const runId = z.string().min(1).max(128);

export const applyPredictionsInput = z
  .object({
    projectId,
    runId,
    /** Continue-as-new state: parts already applied and what they counted. */
    done: z.number().int().min(0).optional(),
    prelabeled: z.number().int().min(0).optional(),
    scored: z.number().int().min(0).optional(),
  })
  .strict();
export type ApplyPredictionsInput = z.infer<typeof applyPredictionsInput>;

export interface ApplyPredictionsResult {
  parts: number;
  prelabeled: number;
  scored: number;
}

/** One instance per run (`predictions-<projectId>-<runId>`): started by the training poll timer. */
export const applyPredictions = orchestration<ApplyPredictionsInput, ApplyPredictionsResult>(
  'applyPredictions',
  applyPredictionsInput,
);

export const listPredictionParts = activity<{ projectId: string; runId: string }, string[]>(
  'predictionsListParts',
  z.object({ projectId, runId }).strict(),
  storeRetry,
);

export const applyPredictionPart = activity<{ projectId: string; runId: string; part: string }, PartApplied>(
  'predictionsApplyPart',
  z.object({ projectId, runId, part: z.string().min(1).max(1024) }).strict(),
  storeRetry,
);

export const recordPredictionsApplied = activity<
  { projectId: string; runId: string; partsApplied: number; prelabeled: number; scored: number },
  void
>(
  'predictionsRecordProgress',
  z
    .object({
      projectId,
      runId,
      partsApplied: z.number().int().min(0),
      prelabeled: z.number().int().min(0),
      scored: z.number().int().min(0),
    })
    .strict(),
  storeRetry,
);

export const predictionsInstanceId = (projectId: string, runId: string) =>
  `${predictionsInstancePrefix(projectId)}${runId}`;
