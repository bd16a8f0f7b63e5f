import { exportInstancePrefix } from '../domain/orchestrationInstances';
import { z } from 'zod';
import { exportFormats, exportIdSchema, exportIncludes } from '../domain/formats/exportRequest';
import type {
  ChunkWritten,
  ExportChunk,
  ExportCounts,
  ExportFile,
  ExportSpec,
  ExportWritten,
} from '../domain/formats/exportRun';
import { activity, orchestration, storeRetry } from './contract';

/** Contracts of the export run (orchestrations/exportProject.ts, functions/exportActivities.ts). */

const projectId = z.string().min(1).max(256);

export const exportSpecSchema = z.strictObject({
  projectId,
  exportId: exportIdSchema,
  format: z.enum(exportFormats),
  include: z.enum(exportIncludes),
  split: z.strictObject({ validation: z.number().gt(0).lt(1), seed: z.number().int().min(0) }).optional(),
  projectName: z.string().max(1024),
  labels: z.array(z.string().min(1)).max(10_000),
  requestedAt: z.string().min(1),
  requestedBy: z.string().min(1).max(256),
}) satisfies z.ZodType<ExportSpec>;

const chunkSchema = z.strictObject({ after: z.string().min(1).optional(), last: z.string().min(1).optional() });

export interface ExportResult extends ExportWritten {
  counts: ExportCounts;
}

/** What the run reports while it works (its custom status). */
export interface ExportProgress {
  phase: 'planning' | 'writing' | 'committing';
  chunks?: number;
  chunksDone?: number;
  counts?: ExportCounts;
}

/** One instance per export (`export-<projectId>-<exportId>`), started by `POST …/exports`. */
export const exportProject = orchestration<ExportSpec, ExportResult>('exportProject', exportSpecSchema);

export const planExport = activity<{ projectId: string }, ExportChunk[]>(
  'exportPlan',
  z.strictObject({ projectId }),
  storeRetry,
);

export const writeExportChunk = activity<{ spec: ExportSpec; chunkIndex: number; chunk: ExportChunk }, ChunkWritten>(
  'exportWriteChunk',
  z.strictObject({ spec: exportSpecSchema, chunkIndex: z.number().int().min(0), chunk: chunkSchema }),
  storeRetry,
);

export const finishExport = activity<{ spec: ExportSpec; staged: boolean[][][] }, ExportWritten>(
  'exportFinish',
  z.strictObject({ spec: exportSpecSchema, staged: z.array(z.array(z.array(z.boolean()))) }),
  storeRetry,
);

export const exportInstanceId = (projectId: string, exportId: string) =>
  `${exportInstancePrefix(projectId)}${exportId}`;

export type { ExportFile };
