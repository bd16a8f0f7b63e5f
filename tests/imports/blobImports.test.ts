import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContainer } from '../../scripts/demo/demoUpload';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import {
  admin,
  counters,
  labelingApi,
  startLabelingHost,
  waitFor,
  type Box,
  type LabelingHost,
  type ProblemBody,
} from '../labeling/harness';
import { seedImportProject } from './importProjects';
import { azureMlJsonl, type KnownImage } from './documents';

// Imports from blobs over HTTP on devhost with Azurite: a durable run (202, then GET …/imports/{importId} until it
// ends). The file is streamed, never read whole: COCO with members in another order and segmentation polygons, a
// re-POST that finds the same import, files with issues refused whole with the report and nothing written.

let env: LabelingHost;
const api = labelingApi(() => env.host);

interface TaskView {
  id: string;
  blobPath: string;
  width: number;
  height: number;
  state: string;
  annotation?: { boxes: Box[]; by: string; imported?: { importId: string; format: string } };
  prelabel?: unknown;
  assignment?: unknown;
}

interface Accepted {
  importId: string;
  state: string;
  statusUrl: string;
}

interface ImportView {
  importId: string;
  format: string;
  state: string;
  progress: { imagesScanned: number; imagesWritten: number; imagesTotal?: number };
  report?: {
    importId: string;
    images: number;
    boxes: number;
    crowdIgnored: number;
    issues: { count: number; byKind: Record<string, number>; items: Array<{ kind: string; at: string }> };
    result?: { written: number; unchanged: number; leftAlone: Record<string, number> };
  };
  error?: string;
}

beforeAll(async () => {
  env = await startLabelingHost([], { TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *' });
}, 120_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

const seed = (id: string, count: number, extra: Record<string, unknown> = {}) =>
  seedImportProject(env, api, id, count, extra);

async function upload(projectId: string, name: string, body: string): Promise<void> {
  const container = await openContainer(env.storage, projectId);
  await container.getBlockBlobClient(name).uploadData(Buffer.from(body));
}

async function tasks(projectId: string): Promise<TaskView[]> {
  const res = await api.call<{ items: TaskView[] }>('GET', `projects/${projectId}/tasks?limit=1000`, {
    token: admin.token,
  });
  expect(res.status).toBe(200);
  return res.body.items.filter((t) => t.blobPath.startsWith('demo-'));
}

const labelState = (list: TaskView[]) =>
  list.map(({ id, state, annotation, prelabel, assignment }) => ({ id, state, annotation, prelabel, assignment }));

const post = (projectId: string, body: unknown) =>
  api.call<Accepted & ProblemBody>('POST', `projects/${projectId}/imports`, { token: admin.token, body });

/** Follows the import to its end (completed, refused or failed). */
async function settled(projectId: string, importId: string): Promise<ImportView> {
  return waitFor(
    `import ${importId} to end`,
    120_000,
    async () => {
      const res = await api.call<ImportView>('GET', `projects/${projectId}/imports/${importId}`, {
        token: admin.token,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return ['completed', 'refused', 'failed'].includes(res.body.state) ? res.body : undefined;
    },
    250,
  );
}

const sortBoxes = (boxes: Box[] = []) =>
  boxes
    .map(({ label, x, y, width, height }) => ({ label, x, y, width, height }))
    .sort((a, b) => a.x - b.x || a.y - b.y);

/** A polygon around the box with `points` vertices (COCO's segmentation), as heavy as real masks are. */
function polygon(b: number[], points: number): number[] {
  const [x, y, w, h] = b as [number, number, number, number];
  return Array.from({ length: points }, (_, i) => {
    const t = (i / points) * 2 * Math.PI;
    return [
      Math.round((x + w / 2 + (w / 2) * Math.cos(t)) * 100) / 100,
      Math.round((y + h / 2 + (h / 2) * Math.sin(t)) * 100) / 100,
    ];
  }).flat();
}

/**
 * The demo's ground truth as COCO writes it, with members in the order given (COCO tools put categories anywhere),
 * every annotation with a segmentation polygon, plus a crowd region with an RLE mask (left out, counted).
 */
function cocoText(coco: CocoDataset, order: Array<'images' | 'annotations' | 'categories'>): string {
  const annotations: unknown[] = coco.annotations.map((a) => ({
    ...a,
    segmentation: [polygon(a.bbox, 300)],
    area: a.bbox[2] * a.bbox[3],
  }));
  annotations.push({
    id: 1_000_000,
    image_id: coco.images[0]!.id,
    category_id: coco.categories[0]!.id,
    bbox: [0, 0, 4, 4],
    iscrowd: 1,
    segmentation: {
      counts: Array.from({ length: 500 }, (_, i) => i % 7),
      size: [coco.images[0]!.height, coco.images[0]!.width],
    },
  });
  const members = { images: coco.images, annotations, categories: coco.categories };
  return `{"info": {"description": "test"}, ${order.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(members[k])}`).join(', ')}}`;
}

function truthByPath(coco: CocoDataset) {
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  return Object.fromEntries(
    coco.images.map((img) => [
      img.file_name,
      sortBoxes(
        coco.annotations
          .filter((a) => a.image_id === img.id)
          .map((a) => ({
            label: names.get(a.category_id)!,
            x: a.bbox[0],
            y: a.bbox[1],
            width: a.bbox[2],
            height: a.bbox[3],
          })),
      ),
    ]),
  );
}

describe('a COCO dataset from a blob', () => {
  let coco: CocoDataset;
  let first: Accepted;

  it('202 with where to follow it; polled to completed, every image labeled with exactly its boxes', async () => {
    coco = await seed('blob-coco', 12, { mlAssist: { initialTrainingThreshold: 10 } });
    await upload('blob-coco', '_imports/instances.json', cocoText(coco, ['annotations', 'categories', 'images']));
    const res = await post('blob-coco', { format: 'coco', source: { blobPath: '_imports/instances.json' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    first = res.body;
    expect(first.importId).toMatch(/^i[A-Za-z0-9_-]{22}$/);
    expect(first.statusUrl).toBe(`/api/projects/blob-coco/imports/${first.importId}`);
    expect(res.headers.get('location')).toBe(first.statusUrl);

    const done = await settled('blob-coco', first.importId);
    expect(done, JSON.stringify(done)).toMatchObject({
      state: 'completed',
      format: 'coco',
      progress: { imagesScanned: 12, imagesWritten: 12, imagesTotal: 12 },
      report: {
        images: 12,
        boxes: coco.annotations.length,
        crowdIgnored: 1,
        issues: { count: 0 },
        result: { written: 12, unchanged: 0 },
      },
    });
    const list = await tasks('blob-coco');
    expect(list.every((t) => t.state === 'labeled')).toBe(true);
    expect(Object.fromEntries(list.map((t) => [t.blobPath, sortBoxes(t.annotation?.boxes)]))).toEqual(
      truthByPath(coco),
    );
    for (const t of list) {
      expect(t.annotation).toMatchObject({
        by: `import:${first.importId}`,
        imported: { importId: first.importId, format: 'coco' },
      });
    }
    expect((await counters(api, 'blob-coco')).byState.labeled).toBe(12);
  });

  it('imported labels crossing the threshold request a training run', async () => {
    await waitFor('a training run requested by the import', 60_000, async () => {
      const runs = await api.call<{ items: Array<{ trigger: string; labeledAtRequest: number }> }>(
        'GET',
        'projects/blob-coco/training-runs',
        { token: admin.token },
      );
      return runs.body.items?.find((r) => r.trigger === 'threshold' && r.labeledAtRequest === 12);
    });
  });

  it('the same request again is the same import: no second run, nothing changes', async () => {
    const before = labelState(await tasks('blob-coco'));
    const again = await post('blob-coco', { format: 'coco', source: { blobPath: '_imports/instances.json' } });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ ...first, state: 'completed' });
    expect(labelState(await tasks('blob-coco'))).toEqual(before);
  });

  it('a blob uploaded anew is a new import, which finds the labels already there', async () => {
    await upload('blob-coco', '_imports/instances.json', cocoText(coco, ['images', 'categories', 'annotations']));
    const res = await post('blob-coco', { format: 'coco', source: { blobPath: '_imports/instances.json' } });
    expect(res.status).toBe(202);
    expect(res.body.importId).not.toBe(first.importId);
    const done = await settled('blob-coco', res.body.importId);
    expect(done.report?.result).toMatchObject({ written: 0, unchanged: 12 });
  });

  it('is listed in the ops view as kind import', async () => {
    const res = await api.call<{ items: Array<{ instanceId: string; kind: string; name: string }> }>(
      'GET',
      'projects/blob-coco/orchestrations?kind=import',
      { token: admin.token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.map((i) => i.instanceId)).toContain(`import-blob-coco-${first.importId}`);
    expect(res.body.items.every((i) => i.kind === 'import' && i.name === 'importProject')).toBe(true);
  });

  it('an unknown import id is 404 problem+json; a missing blob is 422 naming the field', async () => {
    const unknown = await api.call<ProblemBody>('GET', 'projects/blob-coco/imports/iAAAAAAAAAAAAAAAAAAAAAA', {
      token: admin.token,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const missing = await post('blob-coco', { format: 'coco', source: { blobPath: '_imports/none.json' } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([
      { field: 'source.blobPath', message: "no blob '_imports/none.json' in container 'blob-coco'" },
    ]);
  });
});

describe('blob files with issues: refused whole, the report, nothing written', () => {
  let coco: CocoDataset;
  let before: ReturnType<typeof labelState>;
  beforeAll(async () => {
    coco = await seed('blob-bad', 3);
    before = labelState(await tasks('blob-bad'));
  }, 180_000);

  const refused = async (name: string, text: string, kinds: string[]) => {
    await upload('blob-bad', name, text);
    const res = await post('blob-bad', { format: 'coco', source: { blobPath: name } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await settled('blob-bad', res.body.importId);
    expect(done.state, JSON.stringify(done)).toBe('refused');
    expect(Object.keys(done.report!.issues.byKind).sort()).toEqual(kinds.sort());
    expect(done.report!.result).toBeUndefined();
    return done.report!;
  };

  it('a file cut short (not JSON)', async () => {
    const text = cocoText(coco, ['images', 'annotations', 'categories']);
    const report = await refused('_imports/cut.json', text.slice(0, text.length - 40), ['invalid']);
    expect(report.issues.items[0]).toMatchObject({ kind: 'invalid', at: '(document)' });
  });

  it('unknown images, duplicate ids, an image the project does not have', async () => {
    const doc = structuredClone(coco);
    doc.annotations.push({ ...doc.annotations[0]!, id: 900, image_id: 77 });
    doc.annotations.push({ ...doc.annotations[0]! });
    doc.images.push({ ...doc.images[0]!, id: 50, file_name: 'elsewhere/missing.png' });
    await refused('_imports/bad-refs.json', cocoText(doc, ['categories', 'annotations', 'images']), [
      'unknownImage',
      'duplicateId',
      'missingImage',
    ]);
  });

  it('left every task as it was', async () => {
    expect(labelState(await tasks('blob-bad'))).toEqual(before);
    expect((await counters(api, 'blob-bad')).byState.labeled ?? 0).toBe(0);
  });
});

describe('Azure ML JSONL from a blob', () => {
  it('is read line by line into the same labels', async () => {
    const coco = await seed('blob-jsonl', 5);
    const names = new Map(coco.categories.map((c) => [c.id, c.name]));
    const images: KnownImage[] = coco.images.map((img) => ({
      fileName: img.file_name,
      width: img.width,
      height: img.height,
      boxes: coco.annotations
        .filter((a) => a.image_id === img.id)
        .map((a) => ({
          label: names.get(a.category_id)!,
          x: a.bbox[0],
          y: a.bbox[1],
          width: a.bbox[2],
          height: a.bbox[3],
        })),
    }));
    await upload('blob-jsonl', '_imports/train.jsonl', azureMlJsonl(images) + '\n');
    const res = await post('blob-jsonl', { format: 'azureml-jsonl', source: { blobPath: '_imports/train.jsonl' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await settled('blob-jsonl', res.body.importId);
    expect(done, JSON.stringify(done)).toMatchObject({ state: 'completed', report: { result: { written: 5 } } });
    const list = await tasks('blob-jsonl');
    const truth = truthByPath(coco);
    for (const t of list) {
      // Fractions back to pixels land within a hundredth of a pixel.
      const got = sortBoxes(t.annotation?.boxes);
      expect(got).toHaveLength(truth[t.blobPath]!.length);
      got.forEach((b, i) => {
        const want = truth[t.blobPath]![i]!;
        expect(b.label).toBe(want.label);
        for (const k of ['x', 'y', 'width', 'height'] as const) expect(b[k]).toBeCloseTo(want[k], 1);
      });
    }
  });
});
