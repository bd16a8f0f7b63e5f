import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContainer } from '../../scripts/demo/demoUpload';
import type { CocoDataset } from '../../scripts/demo/syntheticImages';
import {
  admin,
  addMember,
  boxInside,
  counters,
  labelers,
  labelingApi,
  requestBatch,
  startLabelingHost,
  waitFor,
  type Box,
  type LabelingHost,
  type ProblemBody,
} from '../labeling/harness';
import { importLabels, seedImportProject } from './importProjects';
import { azureMlJsonl, cocoDataset, cocoResults, type KnownImage } from './documents';

// Imports over HTTP on devhost with Azurite: the demo generator's own COCO ground truth (built independently of the
// app) goes in, the tasks read back over GET …/tasks must hold exactly its boxes; the same for Azure ML JSONL built
// from those tasks, and COCO results as prelabels. Hostile files are refused whole with the per-item report.

const [lena] = labelers(1, 'imp');
let env: LabelingHost;
const api = labelingApi(() => env.host);
const labels = importLabels;

interface TaskView {
  id: string;
  blobPath: string;
  width: number;
  height: number;
  state: string;
  updatedAt: string;
  assignment?: { labelerId: string };
  annotation?: { boxes: Box[]; by: string; imported?: { importId: string; format: string } };
  prelabel?: { boxes: Array<Box & { score: number }>; modelRunId: string; threshold: number };
}

interface Report {
  importId: string;
  as: string;
  dryRun: boolean;
  images: number;
  boxes: number;
  issues: {
    count: number;
    byKind: Record<string, number>;
    items: Array<{ kind: string; file: string; at: string; image?: string }>;
  };
  result?: {
    written: number;
    unchanged: number;
    leftAlone: Record<string, number>;
    items: Array<{ taskId: string; reason: string }>;
  };
}

beforeAll(async () => {
  // Training runs are requested (imports count toward the threshold) but never polled into training here.
  env = await startLabelingHost([lena!], { TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *' });
}, 120_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

const seed = (id: string, count: number, extra: Record<string, unknown> = {}) =>
  seedImportProject(env, api, id, count, extra);

/**
 * The labeling side of each task. Blob events may still arrive for images the backfill registered first (a newer
 * sequencer updates the task's metadata), so "nothing changed" compares this, not the whole record.
 */
const labelState = (list: TaskView[]) =>
  list.map(({ id, state, annotation, prelabel, assignment }) => ({ id, state, annotation, prelabel, assignment }));

async function tasks(projectId: string): Promise<TaskView[]> {
  const res = await api.call<{ items: TaskView[] }>('GET', `projects/${projectId}/tasks?limit=1000`, {
    token: admin.token,
  });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** A blob import: 202, then followed over GET …/imports/{importId} until it ends; its view. */
async function importFromBlobs(projectId: string, body: unknown) {
  const res = await api.call<{ importId: string } & ProblemBody>('POST', `projects/${projectId}/imports`, {
    token: admin.token,
    body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return waitFor(
    `import ${res.body.importId}`,
    120_000,
    async () => {
      const view = await api.call<{ state: string; report: Report }>(
        'GET',
        `projects/${projectId}/imports/${res.body.importId}`,
        { token: admin.token },
      );
      return ['completed', 'refused', 'failed'].includes(view.body.state) ? view.body : undefined;
    },
    250,
  );
}

const importInto = (projectId: string, body: unknown) =>
  api.call<Report & ProblemBody & { report?: Report }>('POST', `projects/${projectId}/imports`, {
    token: admin.token,
    body,
  });

/** The demo truth as the tests' own known images (file name = blob path). */
function knownImages(coco: CocoDataset): KnownImage[] {
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  return coco.images.map((img) => ({
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
}

const sortBoxes = (boxes: Box[] = []) =>
  boxes
    .map(({ label, x, y, width, height }) => ({ label, x, y, width, height }))
    .sort((a, b) => a.x - b.x || a.y - b.y);

const labelsByPath = (list: TaskView[]) =>
  Object.fromEntries(list.map((t) => [t.blobPath, sortBoxes(t.annotation?.boxes)]));

describe('round trips', () => {
  let truth: KnownImage[];

  it('COCO → a fresh project: every image labeled with exactly its boxes, the import recorded', async () => {
    const coco = await seed('imp-coco', 12, { mlAssist: { initialTrainingThreshold: 10 } });
    truth = knownImages(coco);
    const res = await importInto('imp-coco', { format: 'coco', source: { inline: coco } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ as: 'labels', images: 12, result: { written: 12, unchanged: 0 } });

    const list = await tasks('imp-coco');
    expect(list.every((t) => t.state === 'labeled')).toBe(true);
    expect(labelsByPath(list)).toEqual(Object.fromEntries(truth.map((i) => [i.fileName, sortBoxes(i.boxes)])));
    for (const t of list) {
      expect(t.annotation).toMatchObject({
        by: `import:${res.body.importId}`,
        imported: { importId: res.body.importId, format: 'coco' },
      });
    }
    expect((await counters(api, 'imp-coco')).byState.labeled).toBe(12);
  });

  it('imported labels count toward ML Assist: crossing the threshold requests a training run', async () => {
    await waitFor('a training run requested by the import', 60_000, async () => {
      const runs = await api.call<{ items: Array<{ trigger: string; labeledAtRequest: number }> }>(
        'GET',
        'projects/imp-coco/training-runs',
        { token: admin.token },
      );
      return runs.body.items?.find((r) => r.trigger === 'threshold' && r.labeledAtRequest === 12);
    });
  });

  it('running the same import again changes nothing', async () => {
    const before = await tasks('imp-coco');
    const res = await importInto('imp-coco', { format: 'coco', source: { inline: cocoDataset(truth, labels) } });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ written: 0, unchanged: 12 });
    expect(labelState(await tasks('imp-coco'))).toEqual(labelState(before));
  });

  it('Azure ML JSONL of those labels → another fresh project: identical labels', async () => {
    await seed('imp-jsonl', 12);
    const labeled = await tasks('imp-coco');
    const jsonl = azureMlJsonl(
      labeled.map((t) => ({ fileName: t.blobPath, width: t.width, height: t.height, boxes: t.annotation!.boxes })),
    );
    const res = await importInto('imp-jsonl', { format: 'azureml-jsonl', source: { inline: jsonl } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result).toMatchObject({ written: 12 });
    expect(labelsByPath(await tasks('imp-jsonl'))).toEqual(labelsByPath(labeled));
    const again = await importInto('imp-jsonl', { format: 'azureml-jsonl', source: { inline: jsonl } });
    expect(again.body.result).toMatchObject({ written: 0, unchanged: 12 });
  });
});

describe('COCO results as prelabels, from blobs in the project container', () => {
  it('detections at or above the threshold become prelabels to review; a re-run changes nothing', async () => {
    const coco = await seed('imp-results', 6);
    const images = knownImages(coco).map((img) => ({
      ...img,
      // Each true box confidently, plus a doubtful extra box that stays below the threshold.
      boxes: [
        ...img.boxes.map((b) => ({ ...b, score: 0.9 })),
        { label: 'circle', x: 0, y: 0, width: 5, height: 5, score: 0.3 },
      ],
    }));
    const container = await openContainer(env.storage, 'imp-results');
    const upload = (name: string, doc: unknown) =>
      container.getBlockBlobClient(name).uploadData(Buffer.from(JSON.stringify(doc)));
    await upload('_imports/results.json', cocoResults(images, labels));
    await upload('_imports/dataset.json', cocoDataset(images, labels));
    const body = {
      format: 'coco-results',
      source: { blobPath: '_imports/results.json' },
      dataset: { blobPath: '_imports/dataset.json' },
      scoreThreshold: 0.6,
    };

    const dry = await importFromBlobs('imp-results', { ...body, dryRun: true });
    expect(dry).toMatchObject({
      state: 'completed',
      report: { dryRun: true, as: 'prelabels', result: { written: 6 } },
    });
    expect((await tasks('imp-results')).filter((t) => t.prelabel)).toEqual([]);

    const res = await importFromBlobs('imp-results', body);
    expect(res.state, JSON.stringify(res)).toBe('completed');
    const { importId } = res.report;
    const list = (await tasks('imp-results')).filter((t) => t.blobPath.startsWith('demo-'));
    const withBoxes = images.filter((i) => i.boxes.length > 1).map((i) => i.fileName);
    for (const t of list) {
      const img = images.find((i) => i.fileName === t.blobPath)!;
      expect(t.state).toBe(withBoxes.includes(t.blobPath) ? 'prelabeled' : 'new');
      if (t.state === 'prelabeled') {
        expect(t.prelabel).toMatchObject({ modelRunId: `import:${importId}`, threshold: 0.6 });
        expect(sortBoxes(t.prelabel!.boxes)).toEqual(sortBoxes(img.boxes.filter((b) => b.score >= 0.6)));
      }
    }
    // The same request names the same import: its report, nothing run again.
    const again = await importFromBlobs('imp-results', body);
    expect(again.report).toEqual(res.report);
    const before = await tasks('imp-results');
    const missing = await importInto('imp-results', { ...body, source: { blobPath: '_imports/none.json' } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([
      { field: 'source.blobPath', message: "no blob '_imports/none.json' in container 'imp-results'" },
    ]);
    await container.getBlockBlobClient('_imports/junk.json').uploadData(Buffer.from('{"images": [1, 2'));
    const junk = await importFromBlobs('imp-results', { ...body, dataset: { blobPath: '_imports/junk.json' } });
    expect(junk.state).toBe('refused');
    expect(junk.report.issues.items[0]).toMatchObject({ kind: 'invalid', file: 'dataset', at: '(document)' });
    // The blob uploaded meanwhile becomes a (rejected) task; the images were not touched.
    const demoImages = (list: TaskView[]) => labelState(list.filter((t) => t.blobPath.startsWith('demo-')));
    expect(demoImages(await tasks('imp-results'))).toEqual(demoImages(before));
  });
});

describe("another tool's labels for review", () => {
  it("a COCO dataset with as: 'prelabels' becomes prelabels, not labels", async () => {
    const coco = await seed('imp-review', 4);
    const res = await importInto('imp-review', { format: 'coco', as: 'prelabels', source: { inline: coco } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ as: 'prelabels', result: { written: 4 } });
    const truth = Object.fromEntries(knownImages(coco).map((i) => [i.fileName, sortBoxes(i.boxes)]));
    const list = await tasks('imp-review');
    for (const t of list) {
      expect(t.annotation).toBeUndefined();
      expect(t.state).toBe(truth[t.blobPath]!.length > 0 ? 'prelabeled' : 'new');
      expect(sortBoxes(t.prelabel?.boxes)).toEqual(truth[t.blobPath]);
    }
    expect((await counters(api, 'imp-review')).byState.labeled).toBe(0);
  });
});

describe('human work is never overwritten', () => {
  it("a labeler's different label and a task in a live batch are left alone and reported", async () => {
    const coco = await seed('imp-human', 6, { batchPolicy: { size: 2 } });
    await addMember(api, 'imp-human', lena!.id);
    const batch = await requestBatch(api, 'imp-human', lena!.token, 'imp-human-1');
    const [mine, held] = batch.tasks;
    const drawn = { ...boxInside(mine!, 'square'), x: 1 };
    const submitted = await api.call('PUT', `projects/imp-human/tasks/${mine!.taskId}/annotation`, {
      token: lena!.token,
      body: { boxes: [drawn] },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);

    const res = await importInto('imp-human', { format: 'coco', source: { inline: coco } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result).toMatchObject({ written: 4, leftAlone: { conflict: 1, inBatch: 1 } });
    expect(res.body.result!.items.map((i) => [i.taskId, i.reason]).sort()).toEqual(
      [
        [mine!.taskId, 'conflict'],
        [held!.taskId, 'inBatch'],
      ].sort(),
    );
    const list = await tasks('imp-human');
    expect(list.find((t) => t.id === mine!.taskId)?.annotation).toMatchObject({ by: lena!.id, boxes: [drawn] });
    expect(list.find((t) => t.id === held!.taskId)).toMatchObject({
      state: 'assigned',
      assignment: { labelerId: lena!.id },
    });
  });
});

describe('malformed and hostile files: 4xx, the report, nothing written', () => {
  let coco: CocoDataset;
  let before: TaskView[];
  beforeAll(async () => {
    coco = await seed('imp-hostile', 3);
    before = await tasks('imp-hostile');
  }, 180_000);

  const refused = async (body: unknown, kinds: string[]) => {
    const res = await importInto('imp-hostile', body);
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(Object.keys(res.body.report!.issues.byKind).sort()).toEqual(kinds.sort());
    expect(res.body.report!.result).toBeUndefined();
    return res.body.report!;
  };
  const clone = (): CocoDataset => structuredClone(coco);

  it('wrong types, named by their path', async () => {
    const doc = clone() as unknown as { images: Array<Record<string, unknown>> };
    doc.images[1]!.width = 'wide';
    const report = await refused({ format: 'coco', source: { inline: doc } }, ['invalid']);
    expect(report.issues.items[0]).toMatchObject({ kind: 'invalid', at: 'images.1.width' });
  });

  it('references to unknown images and categories, duplicate ids', async () => {
    const doc = clone();
    doc.annotations.push({ ...doc.annotations[0]!, id: 900, image_id: 77 });
    doc.annotations.push({ ...doc.annotations[0]!, id: 901, category_id: 77 });
    doc.images.push({ ...doc.images[0]!, file_name: 'other.png' });
    doc.annotations.push({ ...doc.annotations[0]! });
    await refused({ format: 'coco', source: { inline: doc } }, [
      'unknownImage',
      'unknownCategory',
      'duplicateId',
      'missingImage',
    ]);
  });

  it('an image the project does not have, a label it does not know, a box outside its image', async () => {
    const doc = clone();
    doc.images[0]!.file_name = 'elsewhere/missing.png';
    doc.categories[0]!.name = 'hexagon';
    doc.annotations.push({ ...doc.annotations[0]!, id: 999, image_id: 2, category_id: 1, bbox: [0, 0, 500, 10] });
    const report = await refused({ format: 'coco', source: { inline: doc } }, [
      'missingImage',
      'unknownCategory',
      'outOfImage',
    ]);
    expect(report.issues.items.find((i) => i.kind === 'missingImage')?.image).toBe('elsewhere/missing.png');
  });

  it('10 MB of junk: not JSON → 400; JSON of the wrong shape → 422 with a capped list; over 16 MB → 413', async () => {
    const junk = 'x'.repeat(10 * 1024 * 1024);
    const notJson = await api.call<ProblemBody>('POST', 'projects/imp-hostile/imports', {
      token: admin.token,
      rawBody: junk,
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toBe('application/problem+json');

    // About 10 MB: 150,000 images each wrong in several ways, padded with a member the importer ignores.
    const images = Array.from({ length: 150_000 }, (_, i) => ({ id: -i - 1, file_name: 7, pad: 'x'.repeat(30) }));
    const report = await refused({ format: 'coco', source: { inline: { images, annotations: [], categories: [] } } }, [
      'invalid',
    ]);
    expect(report.issues.count).toBeGreaterThanOrEqual(150_000);
    expect(report.issues.items).toHaveLength(100);

    const huge = await api.call('POST', 'projects/imp-hostile/imports', {
      token: admin.token,
      rawBody: JSON.stringify({ format: 'coco', source: { inline: 'y'.repeat(17 * 1024 * 1024) } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });

  it('a file of images from elsewhere: looked up until 1000 are missing, the rest summed up', async () => {
    const images = Array.from({ length: 3000 }, (_, i) => ({
      fileName: `elsewhere/deep/folders/${i}.png`,
      width: 10,
      height: 10,
      boxes: [],
    }));
    const report = await refused({ format: 'coco', source: { inline: cocoDataset(images, labels) } }, ['missingImage']);
    // 1000 found missing (a few more while the last lookups were in flight), then one issue for the rest.
    expect(report.issues.count).toBeGreaterThan(1000);
    expect(report.issues.count).toBeLessThan(1100);
  });

  it('JSONL with a line that is not JSON', async () => {
    const jsonl = azureMlJsonl(knownImages(coco)) + '\n{"image_url": ';
    const report = await refused({ format: 'azureml-jsonl', source: { inline: jsonl } }, ['invalid']);
    expect(report.issues.items[0]!.at).toBe(`line ${coco.images.length + 1}`);
  });

  it('left every task as it was', async () => {
    expect(labelState(await tasks('imp-hostile'))).toEqual(labelState(before));
    expect((await counters(api, 'imp-hostile')).byState.labeled ?? 0).toBe(0);
  });
});
