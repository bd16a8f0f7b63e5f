import type { ChunkWritten, ExportChunk, ExportWritten } from '../shared/domain/formats/exportRun';
import type { InputOf } from '../shared/workflows/contract';
import { finishExport, planExport, writeExportChunk } from '../shared/workflows/exports';
import { exportService } from './http/exportRoute';
import { registerActivity } from './workflow/registerActivity';

/** The activities of orchestrations/exportProject.ts; each is safe to run again (see ExportService). */

export function planExportActivity(input: InputOf<typeof planExport>): Promise<ExportChunk[]> {
  return exportService().plan(input.projectId);
}

export function writeExportChunkActivity(input: InputOf<typeof writeExportChunk>): Promise<ChunkWritten> {
  return exportService().writeChunk(input.spec, input.chunkIndex, input.chunk);
}

export function finishExportActivity(input: InputOf<typeof finishExport>): Promise<ExportWritten> {
  return exportService().finish(input.spec, input.staged);
}

registerActivity(planExport, planExportActivity);
registerActivity(writeExportChunk, writeExportChunkActivity);
registerActivity(finishExport, finishExportActivity);
