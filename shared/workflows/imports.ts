import { z } from 'zod';
import {
  importIdSchema,
  type ImportJobSpec,
  type ImportRunOutput,
  type ScanOutcome,
} from '../domain/imports/importJob';
import type { ImportResult } from '../domain/imports/importReport';
import { importFormats } from '../domain/imports/importRequest';
import { importInstancePrefix } from '../domain/orchestrationInstances';
import { activity, orchestration, storeRetry } from './contract';

/** Contracts of an import from blobs (orchestrations/importProject.ts, functions/importActivities.ts). */

const blob = z.strictObject({ blobPath: z.string().min(1).max(1024), eTag: z.string().max(256) });

export const importJobSpecSchema = z.strictObject({
  projectId: z.string().min(1).max(256),
  importId: importIdSchema,
  format: z.enum(importFormats),
  as: z.enum(['labels', 'prelabels']),
  scoreThreshold: z.number().min(0).max(1).optional(),
  dryRun: z.boolean(),
  source: blob,
  dataset: blob.optional(),
  requestedAt: z.string().min(1),
  requestedBy: z.string().min(1).max(256),
}) satisfies z.ZodType<ImportJobSpec>;

/** One instance per import (`import-<projectId>-<importId>`), started by `POST …/imports` with a blob source. */
export const importProject = orchestration<ImportJobSpec, ImportRunOutput>('importProject', importJobSpecSchema);

/** Streams and checks the whole file, then stages its chunks (minutes for a COCO-sized file: retried as a whole). */
export const scanImport = activity<{ spec: ImportJobSpec }, ScanOutcome>(
  'importScan',
  z.strictObject({ spec: importJobSpecSchema }),
  storeRetry,
);

export const applyImportChunk = activity<{ spec: ImportJobSpec; chunkIndex: number }, ImportResult>(
  'importApplyChunk',
  z.strictObject({ spec: importJobSpecSchema, chunkIndex: z.number().int().min(0) }),
  storeRetry,
);

export const finishImport = activity<{ spec: ImportJobSpec; written: number }, boolean>(
  'importFinish',
  z.strictObject({ spec: importJobSpecSchema, written: z.number().int().min(0) }),
  storeRetry,
);

export const importInstanceId = (projectId: string, importId: string) =>
  `${importInstancePrefix(projectId)}${importId}`;
