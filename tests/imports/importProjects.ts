import { expect } from 'vitest';
import { openContainer, uploadDemoImages } from '../../scripts/demo/demoUpload';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import { admin, counters, waitFor, type labelingApi, type LabelingHost } from '../labeling/harness';

/** The import tests' labels: the demo images' shapes. */
export const importLabels = ['circle', 'square', 'triangle'];

/**
 * Uploads `count` demo images into container `id`, creates an object detection project on it (with `extra`
 * settings) and waits until every image is a task; resolves with the images' COCO description.
 */
export async function seedImportProject(
  env: LabelingHost,
  api: ReturnType<typeof labelingApi>,
  id: string,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<CocoDataset> {
  const coco = await uploadDemoImages(await openContainer(env.storage, id), { count, minSize: 40, maxSize: 96 });
  const created = await api.call('POST', 'projects', {
    token: admin.token,
    body: {
      id,
      name: id,
      type: 'objectDetection',
      labels: importLabels.map((name) => ({ name })),
      dataset: { container: id },
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await waitFor(`${count} tasks in ${id}`, 120_000, async () =>
    (await counters(api, id)).byState.new === count ? true : undefined,
  );
  return coco;
}
