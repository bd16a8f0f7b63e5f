import { openContainer, uploadDemoImages } from '../../scripts/demo/demoUpload';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import type { Box as DomainBox } from '../../shared/domain/task';
import { taskIdFor } from '../../shared/domain/task';
import { admin, addMember, counters, requestBatch, waitFor, type Api, type Box } from '../labeling/harness';
import type { DevUser } from '../helpers/devhost';

/** What the ML Assist tests share: demo images with known boxes, projects on them, labelers who draw those boxes. */

export interface TrainingRunBody {
  id: string;
  state: string;
  trigger: string;
  threshold: number;
  labeledAtRequest: number;
  failure?: string;
  gate?: { passed: boolean; threshold?: number; precision: number; recall: number; additionalLabelsNeeded?: number };
  evaluation?: { mAP50: number; validationImages: number };
  predictions?: { parts: number; partsApplied: number; prelabeled: number; scored: number };
}

/** The demo's own boxes per task id (COCO ground truth, `file_name` = blob path). */
export type Truth = Map<string, Box[]>;

export async function seedMlProject(
  api: Api,
  storage: string,
  seed: {
    id: string;
    images: number;
    threshold: number;
    gate?: { minPrecision: number; minMeanIoU: number };
    members: DevUser[];
  },
): Promise<Truth> {
  const container = await openContainer(storage, seed.id);
  const coco = await uploadDemoImages(container, {
    count: seed.images,
    seed: 11,
    minSize: 96,
    maxSize: 128,
    maxObjects: 2,
  });
  const created = await api.call('POST', 'projects', {
    token: admin.token,
    body: {
      id: seed.id,
      name: `ML Assist ${seed.id}`,
      type: 'objectDetection',
      labels: [{ name: 'circle' }, { name: 'square' }, { name: 'triangle' }],
      dataset: { container: seed.id },
      mlAssist: { initialTrainingThreshold: seed.threshold, ...seed.gate },
      batchPolicy: { size: 20 },
    },
  });
  if (created.status !== 201) throw new Error(`create ${seed.id} → ${created.status}: ${JSON.stringify(created.body)}`);
  await waitFor(`${seed.images} tasks in ${seed.id}`, 120_000, async () =>
    (await counters(api, seed.id)).byState.new === seed.images ? true : undefined,
  );
  for (const m of seed.members) await addMember(api, seed.id, m.id);
  return truthOf(coco, seed.id);
}

function truthOf(coco: CocoDataset, container: string): Truth {
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  const byImage = new Map<number, Box[]>();
  for (const a of coco.annotations) {
    const [x, y, width, height] = a.bbox;
    byImage.set(a.image_id, [
      ...(byImage.get(a.image_id) ?? []),
      { label: names.get(a.category_id)!, x, y, width, height },
    ]);
  }
  return new Map(coco.images.map((i) => [taskIdFor(container, i.file_name), byImage.get(i.id) ?? []]));
}

/**
 * A labeler who draws the boxes each image has (`draw` may change them: noisy labelers), batch after batch, until
 * `enough()` says stop; the batch in hand is then released.
 */
export async function labelWhile(
  api: Api,
  projectId: string,
  user: DevUser,
  draw: (taskId: string) => Box[],
  enough: () => Promise<boolean>,
): Promise<number> {
  let labeled = 0;
  for (let round = 0; !(await enough()); round++) {
    const batch = await requestBatch(api, projectId, user.token, `${user.id}-${projectId}-${round}-${Date.now()}`);
    if (batch.tasks.length === 0) break;
    for (const task of batch.tasks.filter((t) => t.state === 'assigned')) {
      const res = await api.call('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
        token: user.token,
        body: { boxes: draw(task.taskId), secondsOnTask: 2 },
      });
      if (res.status !== 200) throw new Error(`annotating ${task.taskId} → ${res.status}: ${JSON.stringify(res.body)}`);
      labeled++;
      if (labeled % 10 === 0 && (await enough())) break;
    }
  }
  await api.call('POST', `projects/${projectId}/batches/current/release`, { token: user.token });
  return labeled;
}

export async function trainingRuns(api: Api, projectId: string): Promise<TrainingRunBody[]> {
  const res = await api.call<{ items: TrainingRunBody[] }>('GET', `projects/${projectId}/training-runs`, {
    token: admin.token,
  });
  if (res.status !== 200) throw new Error(`training runs → ${res.status}`);
  return res.body.items;
}

/** Precision and recall of prelabel boxes against the demo's truth (IoU ≥ 0.5, same label, one match per truth). */
export function prelabelQuality(
  prelabels: Map<string, DomainBox[]>,
  truth: Truth,
): { precision: number; recall: number } {
  let tp = 0;
  let predicted = 0;
  let truths = 0;
  for (const [taskId, boxes] of prelabels) {
    const remaining = [...(truth.get(taskId) ?? [])];
    truths += remaining.length;
    predicted += boxes.length;
    for (const b of [...boxes].sort((x, y) => (y.score ?? 0) - (x.score ?? 0))) {
      const i = remaining.findIndex((t) => t.label === b.label && iou(t, b) >= 0.5);
      if (i >= 0) {
        tp++;
        remaining.splice(i, 1);
      }
    }
  }
  return { precision: predicted ? tp / predicted : 0, recall: truths ? tp / truths : 0 };
}

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
