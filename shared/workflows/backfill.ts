import { z } from 'zod';
import type {
  BackfillCursor,
  BackfillProgress,
  CheckPageResult,
  ListPageResult,
  PrepareResult,
} from '../domain/backfill';
import { activity, listingRetry, orchestration, storeRetry } from './contract';

/** Contracts of the backfill/reconcile run (orchestrations/backfillProject.ts, functions/backfillActivities.ts). */

const projectId = z.string().min(1).max(256);

/** The cursor is the orchestration's own continue-as-new state: checked for shape, its arithmetic is the domain's. */
const cursor = z.custom<BackfillCursor>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { phase?: unknown }).phase === 'string',
  'a backfill cursor',
);

export const backfillInput = z.object({ projectId, resume: cursor.optional() }).strict();
export type BackfillInput = z.infer<typeof backfillInput>;

/** One instance per project (`backfill-<projectId>`); progress is its custom status. */
export const backfillProject = orchestration<BackfillInput, BackfillProgress>('backfillProject', backfillInput);

export const prepareBackfill = activity<{ projectId: string }, PrepareResult>(
  'backfillPrepare',
  z.object({ projectId }).strict(),
  storeRetry,
);

export const listBackfillPage = activity<{ projectId: string; continuationToken?: string }, ListPageResult>(
  'backfillListPage',
  z.object({ projectId, continuationToken: z.string().optional() }).strict(),
  listingRetry,
);

export const checkBackfillPage = activity<
  { projectId: string; continuationToken?: string; createdBefore: string },
  CheckPageResult
>(
  'backfillCheckPage',
  z.object({ projectId, continuationToken: z.string().optional(), createdBefore: z.string() }).strict(),
  listingRetry,
);
