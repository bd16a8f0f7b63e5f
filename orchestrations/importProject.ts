import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { emptyResult, mergeResults, type ImportRunOutput } from '../shared/domain/imports/importJob';
import {
  applyImportChunk,
  finishImport,
  importProject as importProjectContract,
  scanImport,
} from '../shared/workflows/imports';
import { call, callAll, inputOf } from './calls';

/**
 * Chunks written at once: each is a thousand images' point reads and writes; two overlap one chunk's store
 * round trips with another's decisions on the host's one JavaScript thread (as the export does).
 */
const chunksInParallel = 2;

/**
 * `importProject`, instance `import-<projectId>-<importId>`: scans the file (all checks; any issue → `refused`,
 * nothing written), applies the staged chunks in waves, then cleans up and nudges ML Assist when imported labels
 * made training due. Progress is the custom status; the output is the report. Every step is idempotent.
 */
export const importProject: OrchestrationHandler = function* (context: OrchestrationContext) {
  const spec = inputOf(context, importProjectContract);
  context.df.setCustomStatus({ state: 'scanning', progress: { imagesScanned: 0, imagesWritten: 0 } });
  const scanned = yield* call(context, scanImport, { spec });
  const imagesScanned = scanned.report.images;
  if (scanned.kind !== 'staged') {
    const output: ImportRunOutput = {
      state: scanned.kind === 'refused' ? 'refused' : 'completed',
      progress: { imagesScanned, imagesWritten: 0 },
      report: scanned.report,
    };
    if (scanned.kind === 'refused') return output;
    yield* call(context, finishImport, { spec, written: 0 });
    return output;
  }

  const total = scanned.images;
  let result = emptyResult();
  let imagesWritten = 0;
  const progress = () => ({ imagesScanned, imagesWritten, imagesTotal: total });
  context.df.setCustomStatus({ state: 'writing', progress: progress() });
  for (let done = 0; done < scanned.chunks;) {
    const wave = Array.from({ length: Math.min(chunksInParallel, scanned.chunks - done) }, (_, i) => done + i);
    const results = yield* callAll(
      context,
      applyImportChunk,
      wave.map((chunkIndex) => ({ spec, chunkIndex })),
    );
    for (const r of results) {
      result = mergeResults(result, r);
      imagesWritten += r.written + r.unchanged + Object.values(r.leftAlone).reduce((n, v) => n + v, 0);
    }
    done += wave.length;
    context.df.setCustomStatus({ state: 'writing', progress: progress() });
  }
  yield* call(context, finishImport, { spec, written: result.written });
  const output: ImportRunOutput = { state: 'completed', progress: progress(), report: { ...scanned.report, result } };
  return output;
};

df.app.orchestration(importProjectContract.name, importProject);
