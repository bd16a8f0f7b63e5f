import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoContainer } from '../backfill/helpers';
import {
  admin,
  boxInside,
  counters,
  labelers,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  waitFor,
  type Box,
  type LabelingHost,
  type ProblemBody,
} from '../labeling/harness';
import {
  parseCsv,
  validateAzureMlJsonl,
  validateCoco,
  validateCsv,
  validateMlTable,
  validateYolo,
  type PixelBox,
} from './validators';

// Exports as an admin meets them: a small project labeled over HTTP on devhost with Azurite (boxes known, one image
// skipped as "no objects", one skipped as unsure, one removed after labeling, one rejected non-image, two still out
// in a batch), then each format exported, downloaded through its read URL and checked by the independent validators.

const [lena] = labelers(1, 'exp');
let env: LabelingHost;
const api = labelingApi(() => env.host);
const projectId = 'exports';
const labels = ['circle', 'square', 'triangle'];

/** What was submitted per blob path, for the images that must be in a `labeled` export. */
const expected = new Map<string, Box[]>();

interface ExportBody {
  id: string;
  statusUrl: string;
  state: string;
  counts?: { images: number; annotations: number; train: number; validation: number; labelFiles: number };
  folder?: string;
  files?: Array<{ name: string; url: string; expiresAt: string }>;
  error?: string;
  progress?: unknown;
}

beforeAll(async () => {
  // Traced, so a missing removal or reject says whether the bridge saw the change, delivered it, or the app ignored it.
  env = await startLabelingHost([lena!], { DEVHOST_EVENTGRID_TRACE: '1' });
  await seedProject(api, env.storage, { id: projectId, images: 10, members: [lena!], batchPolicy: { size: 10 } });
  const batch = await requestBatch(api, projectId, lena!.token, 'exp-batch-1');
  expect(batch.tasks).toHaveLength(10);
  const tasks = (
    await api.call<{ items: Array<{ id: string; blobPath: string }> }>('GET', `projects/${projectId}/tasks?limit=100`, {
      token: admin.token,
    })
  ).body.items;
  const pathOf = (taskId: string) => tasks.find((t) => t.id === taskId)!.blobPath;

  const [noObjects, unsure, ...rest] = batch.tasks;
  const toLabel = rest.slice(0, 6);
  for (const [i, task] of toLabel.entries()) {
    const boxes: Box[] = [boxInside(task, labels[i % 3])];
    if (i % 2 === 0) boxes.push({ label: 'triangle', x: 1, y: 2, width: 3.5, height: 4.25 });
    const res = await api.call('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
      token: lena!.token,
      body: { boxes },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expected.set(pathOf(task.taskId), boxes);
  }
  for (const [task, reason] of [
    [noObjects!, 'noObjects'],
    [unsure!, 'unsure'],
  ] as const) {
    const res = await api.call('POST', `projects/${projectId}/tasks/${task.taskId}/skip`, {
      token: lena!.token,
      body: { reason },
    });
    expect(res.status).toBe(200);
  }
  expected.set(pathOf(noObjects!.taskId), []);

  // One labeled image's blob is deleted (its task is removed), and a file that is no image arrives (rejected).
  const container = await demoContainer(env.storage, projectId);
  const removed = pathOf(toLabel[0]!.taskId);
  await container.getBlobClient(removed).delete();
  expected.delete(removed);
  await container.getBlockBlobClient('notes.txt').upload('not an image', 12);
  let seen: unknown;
  await waitFor('the removed and rejected tasks', 120_000, async () => {
    const c = await counters(api, projectId);
    seen = c.byState;
    return c.byState.removed === 1 && c.byState.rejected === 1 ? c : undefined;
  }).catch(async (err: Error) => {
    // Both arrive as Event Grid events from devhost's blob watcher: the tasks of the two blobs and what devhost logged
    // (queued events, deliveries, the app's ignored events, warnings) say which step did not happen.
    type Listed = { items: Array<{ blobPath: string; state: string }> };
    const listed = await api.call<Listed>('GET', `projects/${projectId}/tasks?limit=100`, { token: admin.token });
    const now = listed.body.items
      .filter((t) => t.blobPath === removed || t.blobPath === 'notes.txt')
      .map(({ blobPath, state }) => ({ blobPath, state }));
    throw new Error(
      `${err.message}; tasks by state ${JSON.stringify(seen)}; the two tasks ${JSON.stringify(now)}; devhost:\n` +
        env.host.output().slice(-8000),
    );
  });
}, 240_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

async function startExport(body: unknown, key?: string) {
  return api.call<ExportBody & ProblemBody>('POST', `projects/${projectId}/exports`, {
    token: admin.token,
    body,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  });
}

async function finished(statusUrl: string): Promise<ExportBody> {
  return waitFor(
    `export ${statusUrl}`,
    120_000,
    async () => {
      const res = await api.call<ExportBody>('GET', statusUrl.replace(/^\/api\//, ''), { token: admin.token });
      expect(res.status).toBe(200);
      if (res.body.state === 'failed') throw new Error(`export failed: ${res.body.error}`);
      return res.body.state === 'completed' ? res.body : undefined;
    },
    250,
  );
}

async function download(view: ExportBody, name: string): Promise<string> {
  const file = view.files!.find((f) => f.name === name);
  expect(file, `${name} among ${JSON.stringify(view.files?.map((f) => f.name))}`).toBeDefined();
  expect(Date.parse(file!.expiresAt)).toBeGreaterThan(Date.now());
  const res = await fetch(file!.url);
  expect(res.status).toBe(200);
  return res.text();
}

const sortBoxes = (boxes: readonly PixelBox[]) =>
  [...boxes].sort((a, b) => a.label.localeCompare(b.label) || a.x - b.x || a.y - b.y);

describe('COCO export over HTTP', () => {
  let view: ExportBody;

  it('answers 202 with a status URL, and the same export for the same Idempotency-Key', async () => {
    const first = await startExport({ format: 'coco', include: 'labeled' }, 'coco-1');
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.headers.get('location')).toBe(first.body.statusUrl);
    expect(first.body.statusUrl).toBe(`/api/projects/${projectId}/exports/${first.body.id}`);
    const again = await startExport({ format: 'coco', include: 'labeled' }, 'coco-1');
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const other = await startExport({ format: 'yolo' }, 'coco-1');
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    view = await finished(first.body.statusUrl);
  }, 150_000);

  it('holds the labeled images with the submitted boxes in pixels, "no objects" with none, nothing else', async () => {
    const coco = validateCoco(await download(view, 'coco.json'));
    expect(coco.categories).toEqual(labels);
    expect([...coco.images.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, boxes] of expected) expect(sortBoxes(coco.images.get(file)!.boxes)).toEqual(sortBoxes(boxes));
    const boxCount = [...expected.values()].reduce((n, b) => n + b.length, 0);
    expect(view.counts).toMatchObject({ images: expected.size, annotations: boxCount });
  });

  it('gives a new export without a key, and 404 for an export that does not exist', async () => {
    const a = await startExport({ format: 'coco' });
    const b = await startExport({ format: 'coco' });
    expect(a.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
    const missing = await api.call('GET', `projects/${projectId}/exports/x${'A'.repeat(22)}`, { token: admin.token });
    expect(missing.status).toBe(404);
    await finished(a.body.statusUrl);
    await finished(b.body.statusUrl);
  }, 150_000);
});

describe('the other formats over HTTP', () => {
  it('azureml-jsonl with a split: two JSONL files with their MLTables, every exported image on one side', async () => {
    const started = await startExport({ format: 'azureml-jsonl', split: { validation: 0.4, seed: 11 } });
    expect(started.status).toBe(202);
    const view = await finished(started.body.statusUrl);
    expect(view.files!.map((f) => f.name).sort()).toEqual([
      'train/MLTable',
      'train/data.jsonl',
      'validation/MLTable',
      'validation/data.jsonl',
    ]);
    const train = validateAzureMlJsonl(await download(view, 'train/data.jsonl'), labels);
    const validation = validateAzureMlJsonl(await download(view, 'validation/data.jsonl'), labels);
    validateMlTable(await download(view, 'train/MLTable'), 'data.jsonl');
    validateMlTable(await download(view, 'validation/MLTable'), 'data.jsonl');
    const urls = [...train.keys(), ...validation.keys()].sort();
    expect(urls).toEqual([...expected.keys()].map((p) => `azureml://datastores/mlassist_images/paths/${p}`).sort());
    expect(view.counts).toMatchObject({ train: train.size, validation: validation.size });
  }, 150_000);

  it('csv: a row per exported image', async () => {
    const started = await startExport({ format: 'csv' });
    const view = await finished(started.body.statusUrl);
    const text = await download(view, 'labels.csv');
    expect(validateCsv(text, labels).size).toBe(expected.size);
    expect(parseCsv(text)[0]).toEqual(['Url', 'Label']);
  }, 150_000);

  it('yolo: data.yaml and the lists by URL, label files in the folder it names', async () => {
    const started = await startExport({ format: 'yolo' });
    const view = await finished(started.body.statusUrl);
    expect(view.files!.map((f) => f.name).sort()).toEqual(['data.yaml', 'train.txt']);
    expect(view.counts!.labelFiles).toBe(expected.size);
    const training = BlobServiceClient.fromConnectionString(env.storage).getContainerClient('training');
    const blobs = new Map<string, string>();
    for await (const b of training.listBlobsFlat({ prefix: `${view.folder}/` })) {
      blobs.set(
        b.name.slice(view.folder!.length + 1),
        (await training.getBlobClient(b.name).downloadToBuffer()).toString(),
      );
    }
    const yolo = validateYolo((p) => blobs.get(p));
    expect(yolo.names).toEqual(labels);
    expect([...yolo.train.keys()].sort()).toEqual([...expected.keys()].map((p) => `./images/${p}`).sort());
  }, 150_000);
});

describe('bad requests', () => {
  it.each([
    [{ format: 'pascal-voc' }, 'format'],
    [{ format: 'coco', include: 'everything' }, 'include'],
    [{ format: 'coco', split: { validation: 1.5 } }, 'split.validation'],
    [{ format: 'coco', split: { validation: 0.2, seed: -1 } }, 'split.seed'],
    [{ format: 'coco', colour: 'blue' }, 'colour'],
    [{}, 'format'],
  ])('%j → 422 naming %s', async (body, field) => {
    const res = await startExport(body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors?.map((e) => e.field)).toContain(field);
  });

  it('refuses text that is not JSON (400), another media type (415) and a malformed Idempotency-Key (400)', async () => {
    const route = `projects/${projectId}/exports`;
    expect(
      (
        await api.call('POST', route, {
          token: admin.token,
          rawBody: '{',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api.call('POST', route, {
          token: admin.token,
          rawBody: 'format=coco',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    const badKey = await startExport({ format: 'coco' }, 'not a key!');
    expect(badKey.status).toBe(400);
    const badId = await api.call<ProblemBody>('GET', `${route}/nope`, { token: admin.token });
    expect(badId.status).toBe(400);
    expect(badId.body.errors?.[0]?.field).toBe('exportId');
  });

  it('404 for a project that does not exist', async () => {
    const res = await api.call('POST', 'projects/no-such-project/exports', {
      token: admin.token,
      body: { format: 'coco' },
    });
    expect(res.status).toBe(404);
  });
});
