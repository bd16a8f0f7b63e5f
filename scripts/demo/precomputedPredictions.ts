import { localJobId, predictionsFolder } from '../../adapters/training/local/localJobs';
import { decideBlobCreated } from '../../shared/domain/blobFacts';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { taskIdFor } from '../../shared/domain/task';
import type { Store } from '../../shared/ports/store';
import type { ImagePrediction } from '../../shared/ports/trainingBackend';
import type { TrainingFiles } from '../../shared/ports/trainingFiles';
import { mulberry32 } from '../../shared/util/seededRandom';

/**
 * A project state as a finished local inference job leaves it: `tasks` unlabeled tasks, their predictions in parts
 * in the training container, and a run that passed the gate and is waiting for its prelabel fan-out. For the
 * fan-out's crash test and benchmark, which are about writing predictions, not making them. Scores are identity-
 * calibrated, so which tasks get prelabels (a box at or above `threshold`) is known exactly in advance.
 */
export interface PrecomputedRun {
  runId: string;
  parts: number;
  /** Tasks that must end up prelabeled. */
  expectedPrelabeled: number;
  tasks: number;
}

export async function seedPrecomputedRun(
  deps: { store: Store; files: TrainingFiles },
  options: { projectId: string; container: string; tasks: number; partSize: number; threshold?: number; seed?: number },
): Promise<PrecomputedRun> {
  const { store, files } = deps;
  const { projectId, container, partSize } = options;
  const threshold = options.threshold ?? 0.5;
  const next = mulberry32(options.seed ?? 2017);
  const now = new Date().toISOString();
  const runId = 'run-000000250';

  const blobPaths = Array.from({ length: options.tasks }, (_, i) => `img-${String(i).padStart(7, '0')}.jpg`);
  for (let start = 0; start < blobPaths.length; start += 5000) {
    const items = blobPaths.slice(start, start + 5000).map((blobPath) => ({
      taskId: taskIdFor(container, blobPath),
      mutation: (existing: Parameters<typeof decideBlobCreated>[1]) =>
        decideBlobCreated(
          projectId,
          existing,
          {
            container,
            blobPath,
            blobUrl: `http://127.0.0.1/${container}/${blobPath}`,
            contentType: 'image/jpeg',
            sizeBytes: 1000,
            eTag: `"${blobPath}"`,
            sequencer: '',
            width: 640,
            height: 480,
          },
          now,
        ),
    }));
    await store.tasks.mutateMany(projectId, items);
  }

  let expectedPrelabeled = 0;
  let parts = 0;
  for (let start = 0; start < blobPaths.length; start += partSize, parts++) {
    const lines: ImagePrediction[] = blobPaths.slice(start, start + partSize).map((blobPath) => {
      const boxes = Array.from({ length: Math.floor(next() * 4) }, () => {
        const topX = next() * 0.7;
        const topY = next() * 0.7;
        return {
          label: next() < 0.5 ? 'circle' : 'square',
          topX,
          topY,
          bottomX: topX + 0.2,
          bottomY: topY + 0.2,
          score: next(),
        };
      });
      if (boxes.some((b) => b.score >= threshold)) expectedPrelabeled++;
      return { taskId: taskIdFor(container, blobPath), boxes };
    });
    const name = `part-${String(parts).padStart(5, '0')}.jsonl`;
    await files.write(
      predictionsFolder(projectId, runId) + name,
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
    );
  }

  const run: TrainingRun = {
    id: runId,
    projectId,
    state: 'prelabeling',
    threshold: 250,
    labeledAtRequest: 250,
    requestedAt: now,
    trigger: 'threshold',
    provider: 'local',
    updatedAt: now,
    dataset: { folder: `${projectId}/${runId}/dataset`, trainCount: 200, validationCount: 50 },
    trainingJob: { jobId: localJobId(projectId, runId, 'train') },
    inferenceJob: { jobId: localJobId(projectId, runId, 'infer') },
    evaluation: {
      validationImages: 50,
      mAP50: 0.8,
      mAP50_95: 0.5,
      matchedMeanIoU: 0.75,
      perClass: {},
      calibration: { kind: 'identity', a: -1, b: 0, eceBefore: 0, eceAfter: 0 },
    },
    gate: { passed: true, threshold, precision: 0.9, recall: 0.6, meanIoU: 0.75 },
    predictions: { parts, partsApplied: 0, prelabeled: 0, scored: 0 },
  };
  await store.trainingRuns.insert(run);
  return { runId, parts, expectedPrelabeled, tasks: options.tasks };
}
