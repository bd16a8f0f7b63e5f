// A COCO-sized project written straight into a store, for the benches that need 118K tasks without ingesting 118K
// blobs: the project record as `POST /api/projects` would store it, and each image's task as ingestion would
// register it (one BlobCreated decision), optionally labeled at once. Nothing reads the blobs, so none need exist.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { decideBlobCreated } = require(path.join(root, 'dist/shared/domain/blobFacts.js'));
const { taskIdFor } = require(path.join(root, 'dist/shared/domain/task.js'));
const { mlAssistSchema } = require(path.join(root, 'dist/shared/domain/project.js'));

/**
 * The project record (ML Assist with the API's defaults for what `mlAssist` leaves out, batches of 75, 60 min lease;
 * incremental refresh off so no reconcile lists empty storage).
 */
export function benchProject({ id, name, labels, container, prefix = 'train2017/', mlAssist, createdBy = 'admin' }) {
  const now = new Date().toISOString();
  return {
    id,
    name,
    type: 'objectDetection',
    labels: labels.map((label) => ({ name: label })),
    instructions: '',
    dataset: { connectionSetting: 'AzureWebJobsStorage', container, prefix, extensions: ['jpg'] },
    mlAssist: mlAssistSchema.parse(mlAssist ?? {}),
    batchPolicy: { size: 75, leaseMinutes: 60 },
    incrementalRefresh: { enabled: false, intervalMinutes: 60 },
    status: 'active',
    createdAt: now,
    createdBy,
    updatedAt: now,
  };
}

/** What a listing or event says of image `i`: a 640 × 480 JPEG named as in train2017. */
export function cocoImageFacts(container, i) {
  const blobPath = `train2017/${String(i).padStart(12, '0')}.jpg`;
  return {
    container,
    blobPath,
    blobUrl: `http://127.0.0.1:10000/devstoreaccount1/${container}/${blobPath}`,
    contentType: 'image/jpeg',
    sizeBytes: 160_000 + (i % 1000),
    eTag: `"0x8DC${i.toString(16).padStart(12, '0')}"`,
    sequencer: '',
    width: 640,
    height: 480,
  };
}

/**
 * The `mutateMany` item registering image `i`; with an `annotation`, the task is labeled with it at once (as if a
 * labeler had submitted it).
 */
export function cocoTask(projectId, container, i, now, annotation) {
  const facts = cocoImageFacts(container, i);
  return {
    taskId: taskIdFor(container, facts.blobPath),
    mutation: (t) => {
      const created = decideBlobCreated(projectId, t, facts, now);
      if (created.kind !== 'write' || !annotation) return created;
      return { kind: 'write', task: { ...created.task, state: 'labeled', annotation } };
    },
  };
}
