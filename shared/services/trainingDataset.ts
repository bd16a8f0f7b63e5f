import { azureMlJsonlLine, mlTableFor, type AzureMlJsonlLine } from '../domain/azureMlJsonl';
import type { TrainingRun } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import type { Task, TaskState } from '../domain/task';
import { isValidation } from '../domain/validationSplit';
import type { Store } from '../ports/store';
import type { InferenceInput, ManifestLine, TrainingBackend, TrainingDataset } from '../ports/trainingBackend';
import type { TrainingFiles } from '../ports/trainingFiles';

export interface TrainingDatasetDeps {
  store: Store;
  files: TrainingFiles;
  backend: Pick<TrainingBackend, 'datasetImageUrl'>;
}

/** Tasks whose labels a model learns from: human boxes, and images a labeler said have no objects. */
const humanLabeledStates: readonly TaskState[] = ['labeled', 'skipped'];
/** Tasks a model's predictions are for: everything not yet labeled by a person. */
const unlabeledStates: readonly TaskState[] = ['new', 'prelabeled', 'assigned'];

export const datasetFolder = (run: Pick<TrainingRun, 'projectId' | 'id'>) => `${run.projectId}/${run.id}/dataset`;
export const inferenceManifest = (run: Pick<TrainingRun, 'projectId' | 'id'>) =>
  `${run.projectId}/${run.id}/inference/manifest.jsonl`;

async function* tasksIn(store: Store, projectId: string, states: readonly TaskState[]): AsyncGenerator<Task> {
  for (const state of states) {
    let continuationToken: string | undefined;
    do {
      const page = await store.tasks.list(projectId, {
        state,
        limit: 1000,
        ...(continuationToken ? { continuationToken } : {}),
      });
      yield* page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }
}

const jsonl = (lines: readonly object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');

/**
 * Writes a run's training and validation splits as Azure ML JSONL with an MLTable beside each (the same files for
 * both providers). The split is the deterministic held-out rule of shared/domain/validationSplit.ts over the labels
 * as they are now; rewriting it for the same run (a retried activity) gives files with the same meaning.
 */
export async function writeTrainingDataset(
  deps: TrainingDatasetDeps,
  project: Project,
  run: TrainingRun,
): Promise<TrainingDataset> {
  const { store, files, backend } = deps;
  const labeled: Array<{ task: Task; line: AzureMlJsonlLine }> = [];
  for await (const task of tasksIn(store, project.id, humanLabeledStates)) {
    const line = azureMlJsonlLine(task, backend.datasetImageUrl(project.dataset, task.blobPath));
    if (line) labeled.push({ task, line });
  }
  const train: AzureMlJsonlLine[] = [];
  const validation: AzureMlJsonlLine[] = [];
  for (const { task, line } of labeled) {
    (isValidation(project.id, task.id, labeled.length) ? validation : train).push(line);
  }
  const folder = datasetFolder(run);
  await Promise.all([
    files.write(`${folder}/train/data.jsonl`, jsonl(train), 'application/jsonl'),
    files.write(`${folder}/train/MLTable`, mlTableFor('data.jsonl'), 'text/yaml'),
    files.write(`${folder}/validation/data.jsonl`, jsonl(validation), 'application/jsonl'),
    files.write(`${folder}/validation/MLTable`, mlTableFor('data.jsonl'), 'text/yaml'),
  ]);
  return {
    folder,
    labels: project.labels.map((l) => l.name),
    trainCount: train.length,
    validationCount: validation.length,
  };
}

/**
 * The images a run's model predicts once trained: the held-out validation split (for the gate) and every task not
 * yet labeled (prelabels and the least-confident-first queue). Validation comes first, so the gate's evaluation can
 * stop reading early.
 */
export async function writeInferenceManifest(
  deps: TrainingDatasetDeps,
  project: Project,
  run: TrainingRun,
): Promise<InferenceInput> {
  const { store, files, backend } = deps;
  const validation: ManifestLine[] = [];
  const unlabeled: ManifestLine[] = [];
  const labeledCount = (run.dataset?.trainCount ?? 0) + (run.dataset?.validationCount ?? 0);
  const lineFor = (task: Task, split: ManifestLine['split']): ManifestLine | undefined =>
    task.width && task.height
      ? {
          taskId: task.id,
          blobPath: task.blobPath,
          imageUrl: backend.datasetImageUrl(project.dataset, task.blobPath),
          width: task.width,
          height: task.height,
          split,
        }
      : undefined;
  for await (const task of tasksIn(store, project.id, humanLabeledStates)) {
    if (!isValidation(project.id, task.id, labeledCount)) continue;
    const line = azureMlJsonlLine(task, '') && lineFor(task, 'validation');
    if (line) validation.push(line);
  }
  for await (const task of tasksIn(store, project.id, unlabeledStates)) {
    const line = lineFor(task, 'unlabeled');
    if (line) unlabeled.push(line);
  }
  const manifest = inferenceManifest(run);
  await files.write(manifest, jsonl([...validation, ...unlabeled]), 'application/jsonl');
  return { manifest, count: validation.length + unlabeled.length };
}
