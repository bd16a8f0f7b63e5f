import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  exportProject as exportProjectContract,
  finishExport,
  planExport,
  writeExportChunk,
  type ExportProgress,
  type ExportResult,
} from '../shared/workflows/exports';
import { addCounts, emptyCounts } from '../shared/domain/formats/exportRun';
import { call, callAll, inputOf } from './calls';

/**
 * Chunks written at once. Each holds one page of tasks and its text, so this bounds the host's memory; the work is
 * CPU on the host's one JavaScript thread, so two are enough to overlap one chunk's blob writes with another's
 * reading (four 2,500-task chunks took the host to 334 MB peak RSS at 118,287 images, two 1,000-task chunks to
 * 240–252 MB).
 */
const chunksInParallel = 2;

/**
 * `exportProject`, instance `export-<projectId>-<exportId>`: cuts the project's tasks into chunks, writes them in
 * waves (each chunk stages its blocks of every output file), then commits the files. Progress is the custom status;
 * the output names the files and counts. Every step is idempotent, so a crash resumes from the history.
 */
export const exportProject: OrchestrationHandler = function* (context: OrchestrationContext) {
  const spec = inputOf(context, exportProjectContract);
  const progress = (p: ExportProgress) => context.df.setCustomStatus(p);
  progress({ phase: 'planning' });
  const chunks = yield* call(context, planExport, { projectId: spec.projectId });

  const staged: boolean[][][] = [];
  let counts = emptyCounts();
  progress({ phase: 'writing', chunks: chunks.length, chunksDone: 0, counts });
  for (let done = 0; done < chunks.length;) {
    const wave = chunks.slice(done, done + chunksInParallel);
    const results = yield* callAll(
      context,
      writeExportChunk,
      wave.map((chunk, i) => ({ spec, chunkIndex: done + i, chunk })),
    );
    for (const r of results) {
      staged.push(r.staged);
      counts = addCounts(counts, r.counts);
    }
    done += wave.length;
    progress({ phase: 'writing', chunks: chunks.length, chunksDone: done, counts });
  }

  progress({ phase: 'committing', chunks: chunks.length, chunksDone: chunks.length, counts });
  const written = yield* call(context, finishExport, { spec, staged });
  const result: ExportResult = { ...written, counts };
  return result;
};

df.app.orchestration(exportProjectContract.name, exportProject);
