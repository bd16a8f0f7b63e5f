import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCosmosStore } from '../../adapters/cosmos/cosmosStore';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import type { ExportSpec } from '../../shared/domain/formats/exportRun';
import type { Box, Task } from '../../shared/domain/task';
import type { Store, TaskMutation } from '../../shared/ports/store';
import { ExportService, exportFolder } from '../../shared/services/exports';
import { startCosmosServer, type RunningCosmosServer } from '../store/cosmosServer';
import { blobCreated, blobDeleted, facts, idOf, now } from '../store/storeFixtures';
import { MemoryTrainingFiles } from '../training/memoryTrainingFiles';
import {
  validateAzureMlJsonl,
  validateCoco,
  validateCsv,
  validateMlTable,
  validateYolo,
  type FractionBox,
  type PixelBox,
} from './validators';

// The export service over each store adapter (SQLite on a file, Cosmos on cosmosdb-server), with the training
// container in memory: every format's files checked by the independent validators, across chunks small enough that
// each export has several. The chunks cut the listing by id, so both adapters must list in the same id order.

const projectId = 'exp';
let dir: string;
let store: Store;
let files: MemoryTrainingFiles;
let cosmos: RunningCosmosServer | undefined;
let databases = 0;

beforeAll(async () => {
  cosmos = await startCosmosServer();
});
afterAll(async () => {
  await cosmos?.stop();
});

function openStore(adapter: 'sqlite' | 'cosmos'): Store {
  if (adapter === 'cosmos') return createCosmosStore({ ...cosmos!.env, COSMOS_DATABASE: `exports-${++databases}` });
  dir = mkdtempSync(path.join(tmpdir(), 'exports-'));
  return new SqliteStore(path.join(dir, 'labels.db'));
}

const service = (chunkSize = 4) =>
  new ExportService({ store, files, imageUrl: (p) => `azureml://datastores/images/paths/${p}`, chunkSize });

function spec(overrides: Partial<ExportSpec> = {}): ExportSpec {
  return {
    projectId,
    exportId: 'xAAAAAAAAAAAAAAAAAAAAAA',
    format: 'coco',
    include: 'labeled',
    projectName: 'Exports',
    labels: ['cat', 'dog'],
    requestedAt: now,
    requestedBy: 'ada',
    ...overrides,
  };
}

const write =
  (change: (t: Task) => Partial<Task>): TaskMutation =>
  (t) =>
    t ? { kind: 'write', task: { ...t, ...change(t) } } : { kind: 'ignore', reason: 'no such task' };
const labeled = (boxes: Box[]) => write(() => ({ state: 'labeled', annotation: { boxes, by: 'lena', at: now } }));
const prelabel = (boxes: Box[]) => ({ boxes, modelRunId: 'run-000000250', confidence: 0.7, at: now });

async function create(blobPath: string, size = { width: 640, height: 480 }) {
  await store.tasks.mutateMany(projectId, [blobCreated(projectId, facts(blobPath, 1, size))]);
}
async function mutate(blobPath: string, m: TaskMutation) {
  await store.tasks.mutate(projectId, idOf(blobPath), m);
}

const catBox: Box = { label: 'cat', x: 10.5, y: 20, width: 100, height: 50.25 };
/** Overshoots the right and bottom edge by a pixel (labels may): exported clipped to the image. */
const edgeDog: Box = { label: 'dog', x: 600, y: 400, width: 41, height: 81 };
const prelabelBox: Box = { label: 'dog', x: 5, y: 6, width: 7, height: 8 };
const fillers = Array.from({ length: 14 }, (_, i) => `fill/${String(i).padStart(2, '0')}.jpg`);

async function seed() {
  for (const p of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg', 'g.jpg', 'i.jpg', ...fillers]) await create(p);
  await mutate('a.jpg', labeled([catBox, edgeDog]));
  await mutate('b.jpg', labeled([{ label: 'dog', x: 0, y: 0, width: 640, height: 480 }]));
  await mutate(
    'c.jpg',
    write(() => ({ state: 'skipped', skip: { by: 'lena', at: now, reason: 'noObjects' } })),
  );
  await mutate(
    'd.jpg',
    write(() => ({ state: 'skipped', skip: { by: 'lena', at: now, reason: 'unsure' } })),
  );
  await mutate(
    'e.jpg',
    write(() => ({ state: 'prelabeled', prelabel: prelabel([prelabelBox]) })),
  );
  await mutate(
    'f.jpg',
    write(() => ({
      state: 'assigned',
      prelabel: prelabel([prelabelBox]),
      assignment: { batchId: 'b1', labelerId: 'lena', leaseExpiresAt: now },
    })),
  );
  await mutate('g.jpg', labeled([catBox]));
  await store.tasks.mutateMany(projectId, [blobDeleted(projectId, 'g.jpg', 2)]);
  await create('h.txt');
  await mutate(
    'h.txt',
    write(() => ({ state: 'rejected', rejectReason: 'not an image', width: null, height: null })),
  );
  for (const [n, p] of fillers.entries()) {
    await mutate(p, labeled([{ label: n % 2 ? 'cat' : 'dog', x: n, y: n, width: 10 + n, height: 20 }]));
  }
}

/** Plans, writes every chunk at once (as a wave would) and commits; returns the files by name. */
async function runExport(s: ExportSpec, svc = service()) {
  const chunks = await svc.plan(projectId);
  const written = await Promise.all(chunks.map((c, i) => svc.writeChunk(s, i, c)));
  const result = await svc.finish(
    s,
    written.map((w) => w.staged),
  );
  const folder = exportFolder(projectId, s.exportId);
  const read = (name: string) => files.blobs.get(`${folder}/${name}`)?.body.toString('utf8');
  return { chunks, written, result, read };
}

const normalized = (b: PixelBox, w: number, h: number): FractionBox => ({
  label: b.label,
  topX: b.x / w,
  topY: b.y / h,
  bottomX: (b.x + b.width) / w,
  bottomY: (b.y + b.height) / h,
});
const near = (a: FractionBox[], b: FractionBox[]) => {
  expect(a.map((x) => x.label)).toEqual(b.map((x) => x.label));
  a.forEach((x, i) => {
    for (const k of ['topX', 'topY', 'bottomX', 'bottomY'] as const) expect(x[k]).toBeCloseTo(b[i]![k], 5);
  });
};

describe.each(['sqlite', 'cosmos'] as const)('on the %s store', (adapter) => {
  beforeEach(() => {
    store = openStore(adapter);
    files = new MemoryTrainingFiles();
  });
  afterEach(async () => {
    await store.close();
    if (adapter === 'sqlite') rmSync(dir, { recursive: true, force: true });
  });

  describe('COCO export', () => {
    it('holds the labeled images and the "no objects" ones, boxes in pixels as submitted, clipped to the image', async () => {
      await seed();
      const { chunks, read } = await runExport(spec());
      expect(chunks.length).toBeGreaterThan(3);
      const coco = validateCoco(read('coco.json')!);
      expect(coco.categories).toEqual(['cat', 'dog']);
      expect([...coco.images.keys()].sort()).toEqual(['a.jpg', 'b.jpg', 'c.jpg', ...fillers].sort());
      expect(coco.images.get('a.jpg')!.boxes).toEqual([
        catBox,
        { label: 'dog', x: 600, y: 400, width: 40, height: 80 },
      ]);
      expect(coco.images.get('c.jpg')).toEqual({ width: 640, height: 480, boxes: [] });
      expect(coco.images.get('fill/03.jpg')!.boxes).toEqual([{ label: 'cat', x: 3, y: 3, width: 13, height: 20 }]);
    });

    it('adds prelabeled images (also those out in a batch) with labeled+prelabeled', async () => {
      await seed();
      const { read, written } = await runExport(spec({ include: 'labeled+prelabeled' }));
      const coco = validateCoco(read('coco.json')!);
      expect(coco.images.get('e.jpg')!.boxes).toEqual([prelabelBox]);
      expect(coco.images.get('f.jpg')!.boxes).toEqual([prelabelBox]);
      expect(coco.images.has('d.jpg') || coco.images.has('g.jpg') || coco.images.has('i.jpg')).toBe(false);
      expect(written.reduce((n, w) => n + w.counts.prelabeled, 0)).toBe(2);
    });

    it('is a valid document for an empty project', async () => {
      const { read, chunks } = await runExport(spec());
      expect(chunks).toEqual([]);
      expect(validateCoco(read('coco.json')!).images.size).toBe(0);
    });

    it('writes the same bytes when chunks and the commit run again (retried activities)', async () => {
      await seed();
      const svc = service();
      const first = await runExport(spec(), svc);
      const before = first.read('coco.json');
      await svc.writeChunk(spec(), 1, first.chunks[1]!);
      await svc.finish(
        spec(),
        first.written.map((w) => w.staged),
      );
      expect(first.read('coco.json')).toBe(before);
    });

    it('keeps ids unique when tasks are labeled into a chunk after it was planned', async () => {
      await seed();
      const svc = service();
      const chunks = await svc.plan(projectId);
      // New images whose ids sort into the planned ranges, labeled before the chunks run.
      const late = Array.from({ length: 12 }, (_, i) => `late/${i}.jpg`);
      for (const p of late) {
        await create(p);
        await mutate(p, labeled([catBox]));
      }
      const s = spec();
      const written = await Promise.all(chunks.map((c, i) => svc.writeChunk(s, i, c)));
      await svc.finish(
        s,
        written.map((w) => w.staged),
      );
      const coco = validateCoco(files.blobs.get(`${exportFolder(projectId, s.exportId)}/coco.json`)!.body.toString());
      for (const p of late) expect(coco.images.get(p)?.boxes).toEqual([catBox]);
    });

    // A chunk is rendered in slices of images into one block of bytes: a single chunk of hundreds of images (names
    // with multi-byte characters) says exactly what many small chunks say.
    it('says the same in one large chunk as in many small ones', async () => {
      const names = Array.from(
        { length: 300 },
        (_, i) => `many/${i % 3 ? 'chat' : 'été-🐈'}-${String(i).padStart(3, '0')}.jpg`,
      );
      await store.tasks.mutateMany(
        projectId,
        names.map((p, i) => blobCreated(projectId, facts(p, i + 1))),
      );
      for (const [i, p] of names.entries()) {
        if (i % 10 === 9) continue; // some left unlabeled
        await mutate(p, labeled(i % 7 ? [catBox, { ...edgeDog, x: i }] : []));
      }
      const read = async (chunkSize: number, format: 'coco' | 'azureml-jsonl', exportId: string) => {
        const { chunks, read } = await runExport(spec({ format, exportId }), service(chunkSize));
        return { chunks: chunks.length, text: read(format === 'coco' ? 'coco.json' : 'data.jsonl')! };
      };
      const large = await read(1_000, 'coco', 'xLARGEAAAAAAAAAAAAAAAAA');
      const small = await read(7, 'coco', 'xSMALLAAAAAAAAAAAAAAAAA');
      expect([large.chunks, small.chunks]).toEqual([1, Math.ceil(300 / 7)]);
      const inLarge = validateCoco(large.text);
      expect(inLarge.images.size).toBe(270);
      expect(inLarge.images).toEqual(validateCoco(small.text).images);
      expect(inLarge.images.get('many/été-🐈-000.jpg')).toEqual({ width: 640, height: 480, boxes: [] });
      const jsonl = await read(1_000, 'azureml-jsonl', 'xJSONLAAAAAAAAAAAAAAAAA');
      expect(validateAzureMlJsonl(jsonl.text, ['cat', 'dog'])).toEqual(
        validateAzureMlJsonl((await read(7, 'azureml-jsonl', 'xJSONSAAAAAAAAAAAAAAAAA')).text, ['cat', 'dog']),
      );
    });
  });

  describe('split exports', () => {
    it('puts each image on one side, the same for the same seed and differently for another', async () => {
      await seed();
      const sides = async (seed: number, exportId: string) => {
        const { read } = await runExport(spec({ exportId, split: { validation: 0.3, seed } }));
        const train = validateCoco(read('coco_train.json')!);
        const validation = validateCoco(read('coco_validation.json')!);
        const t = [...train.images.keys()];
        const v = [...validation.images.keys()];
        expect(t.filter((f) => v.includes(f))).toEqual([]);
        expect([...t, ...v].sort()).toEqual(['a.jpg', 'b.jpg', 'c.jpg', ...fillers].sort());
        return v.sort();
      };
      const once = await sides(7, 'xAAAAAAAAAAAAAAAAAAAAA1');
      expect(await sides(7, 'xAAAAAAAAAAAAAAAAAAAAA2')).toEqual(once);
      const others = await Promise.all([1, 2, 3].map((seed) => sides(seed, `xAAAAAAAAAAAAAAAAAAAAB${seed}`)));
      expect(others.some((v) => JSON.stringify(v) !== JSON.stringify(once))).toBe(true);
    });
  });

  describe('the other formats say what the COCO file says', () => {
    async function cocoBoxes() {
      const { read } = await runExport(spec({ exportId: 'xCOCOAAAAAAAAAAAAAAAAAA', include: 'labeled+prelabeled' }));
      const coco = validateCoco(read('coco.json')!);
      return new Map([...coco.images].map(([f, i]) => [f, i.boxes.map((b) => normalized(b, i.width, i.height))]));
    }

    it('azureml-jsonl: one line per image, normalized boxes, and an MLTable that reads it', async () => {
      await seed();
      const expected = await cocoBoxes();
      const { read } = await runExport(spec({ format: 'azureml-jsonl', include: 'labeled+prelabeled' }));
      validateMlTable(read('MLTable')!, 'data.jsonl');
      const lines = validateAzureMlJsonl(read('data.jsonl')!, ['cat', 'dog']);
      expect(lines.size).toBe(expected.size);
      for (const [file, boxes] of expected) near(lines.get(`azureml://datastores/images/paths/${file}`)!, boxes);
    });

    it('azureml-jsonl with a split: train/ and validation/ folders, each with its MLTable', async () => {
      await seed();
      const { read } = await runExport(spec({ format: 'azureml-jsonl', split: { validation: 0.5, seed: 1 } }));
      const train = validateAzureMlJsonl(read('train/data.jsonl')!, ['cat', 'dog']);
      const validation = validateAzureMlJsonl(read('validation/data.jsonl')!, ['cat', 'dog']);
      validateMlTable(read('train/MLTable')!, 'data.jsonl');
      validateMlTable(read('validation/MLTable')!, 'data.jsonl');
      expect(train.size + validation.size).toBe(3 + fillers.length);
    });

    it('csv: Url and Label columns, a row per image', async () => {
      await seed();
      const expected = await cocoBoxes();
      const { read } = await runExport(spec({ format: 'csv', include: 'labeled+prelabeled' }));
      const rows = validateCsv(read('labels.csv')!, ['cat', 'dog']);
      expect(rows.size).toBe(expected.size);
      for (const [file, boxes] of expected) near(rows.get(`azureml://datastores/images/paths/${file}`)!, boxes);
    });

    it('yolo: data.yaml, image lists and one label file per image (empty for "no objects")', async () => {
      await seed();
      const expected = await cocoBoxes();
      const { read, written } = await runExport(spec({ format: 'yolo', include: 'labeled+prelabeled' }));
      const yolo = validateYolo(read);
      expect(yolo.names).toEqual(['cat', 'dog']);
      expect(yolo.train.size).toBe(expected.size);
      for (const [file, boxes] of expected) near(yolo.train.get(`./images/${file}`)!, boxes);
      expect(read('labels/c.txt')).toBe('');
      expect(written.reduce((n, w) => n + w.counts.labelFiles, 0)).toBe(expected.size);
    });

    it('yolo with a split: val.txt lists the validation side', async () => {
      await seed();
      const { read } = await runExport(spec({ format: 'yolo', split: { validation: 0.5, seed: 3 } }));
      const yolo = validateYolo(read);
      expect(yolo.train.size + yolo.val.size).toBe(3 + fillers.length);
      expect([...yolo.train.keys()].filter((k) => yolo.val.has(k))).toEqual([]);
    });
  });
});
