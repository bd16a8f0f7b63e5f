import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ScanOutcome } from '../shared/domain/imports/importJob';
import type { ImportResult } from '../shared/domain/imports/importReport';
import type { InputOf } from '../shared/workflows/contract';
import { applyImportChunk, finishImport, scanImport } from '../shared/workflows/imports';
import { importJobService } from './http/importRoute';
import { nudgeMlAssist } from './http/labelingSignals';
import { registerActivity } from './workflow/registerActivity';

/** The activities of orchestrations/importProject.ts; each is safe to run again (see ImportJobService). */

export function scanImportActivity(input: InputOf<typeof scanImport>): Promise<ScanOutcome> {
  return importJobService().scan(input.spec);
}

export function applyImportChunkActivity(input: InputOf<typeof applyImportChunk>): Promise<ImportResult> {
  return importJobService().applyChunk(input.spec, input.chunkIndex);
}

/** Imported labels count toward ML Assist's training threshold as submissions do. */
export async function finishImportActivity(
  input: InputOf<typeof finishImport>,
  context: InvocationContext,
): Promise<boolean> {
  const due = await importJobService().finish(input.spec, input.written);
  if (due) await nudgeMlAssist(df.getClient(context), input.spec.projectId);
  return due;
}

registerActivity(scanImport, scanImportActivity);
registerActivity(applyImportChunk, applyImportChunkActivity);
registerActivity(finishImport, finishImportActivity, { durableClient: true });
