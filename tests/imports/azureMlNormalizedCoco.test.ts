import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import type { BlobGateway } from '../../shared/ports/blobGateway';
import { ImportService } from '../../shared/services/imports';
import { aProject, blobCreated, facts } from '../store/storeFixtures';
import { cocoDataset, type KnownImage } from './documents';

// Azure ML Data Labeling exports COCO with normalized coordinates by default: every image says 0 × 0 and each bbox
// is [x, y, width, height] as fractions of the image (Azure ML docs, "Create and explore datasets with labels").
// Teams moving from it bring that file; its boxes must land on the project's own image sizes.

const noBlobs = new Proxy({} as BlobGateway, {
  get: () => () => Promise.reject(new Error('inline imports read no blob')),
});

const images: KnownImage[] = [
  {
    fileName: 'street/a.jpg',
    width: 640,
    height: 480,
    boxes: [{ label: 'car', x: 64, y: 48, width: 320, height: 96 }],
  },
  {
    fileName: 'street/b.jpg',
    width: 640,
    height: 480,
    boxes: [
      { label: 'dog', x: 0, y: 0, width: 640, height: 480 },
      { label: 'car', x: 10, y: 20, width: 30, height: 40 },
    ],
  },
];

/** The COCO file as Azure ML writes it: sizes 0, boxes divided by the image's width and height. */
function azureMlNormalized(list: KnownImage[]) {
  const doc = cocoDataset(list, ['car', 'dog']);
  return {
    ...doc,
    images: doc.images.map((img) => ({ ...img, width: 0, height: 0 })),
    annotations: doc.annotations.map((a) => {
      const { width, height } = list[a.image_id - 1]!;
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      return { ...a, bbox: [x / width, y / height, w / width, h / height], area: (w / width) * (h / height) };
    }),
  };
}

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'azureml-coco-'));
  store = new SqliteStore(path.join(dir, 'labels.db'));
  await store.projects.insert({ ...aProject('p'), labels: [{ name: 'car' }, { name: 'dog' }] });
  await store.tasks.mutateMany(
    'p',
    images.map((img, i) => blobCreated('p', facts(img.fileName, i + 1))),
  );
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("importing Azure ML Data Labeling's normalized COCO export", () => {
  it('places the boxes on the images in pixels', async () => {
    const service = new ImportService({ store, blobs: noBlobs });
    const project = (await store.projects.get('p'))!.value;
    const outcome = await service.run(project, {
      format: 'coco',
      source: { inline: azureMlNormalized(images) },
      dryRun: false,
    });
    expect(outcome.kind).toBe('done');
    for (const img of images) {
      const task = (await store.tasks.list('p', { limit: 10 })).items.find((t) => t.blobPath === img.fileName)!;
      expect(task.state).toBe('labeled');
      const stored = task.annotation!.boxes ?? [];
      expect(stored).toHaveLength(img.boxes.length);
      img.boxes.forEach((b, i) => {
        expect(stored[i]!.label).toBe(b.label);
        for (const k of ['x', 'y', 'width', 'height'] as const) expect(stored[i]![k]).toBeCloseTo(b[k], 1);
      });
    }
  });

  it('refuses a file where only some images say 0 × 0, naming the field, and writes nothing', async () => {
    const service = new ImportService({ store, blobs: noBlobs });
    const project = (await store.projects.get('p'))!.value;
    const doc = cocoDataset(images, ['car', 'dog']);
    doc.images[1] = { ...doc.images[1]!, width: 0 };
    const outcome = await service.run(project, { format: 'coco', source: { inline: doc }, dryRun: false });
    expect(outcome.kind).toBe('invalid');
    if (outcome.kind !== 'invalid') return;
    expect(outcome.report.issues.items).toContainEqual(
      expect.objectContaining({ at: 'images.1.width', message: expect.stringMatching(/must be 1 or more/) }),
    );
    expect((await store.tasks.counters('p')).byState.labeled).toBe(0);
  });
});
