import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSubmit } from '../../shared/domain/labeling';
import { decideImportedLabels, decideImportedPrelabel, importSkips } from '../../shared/domain/imports/decideImport';
import { blobPathCandidates } from '../../shared/domain/imports/imageRefs';
import { IssueLog, maxReportedItems, type ImportIssueKind } from '../../shared/domain/imports/importIssues';
import { readAzureMlJsonl, readCoco, readCocoResults, type ReadItems } from '../../shared/domain/imports/importItems';
import { notLookedUp, planImport } from '../../shared/domain/imports/importPlan';
import { importRequestSchema } from '../../shared/domain/imports/importRequest';
import { decidePrediction } from '../../shared/domain/prelabeling';
import { taskIdFor, type Task, type TaskState } from '../../shared/domain/task';
import { azureMlJsonl, cocoDataset, cocoResults, type KnownImage } from '../imports/documents';

const now = '2026-12-01T12:00:00.000Z';
const labels = ['circle', 'square', 'triangle'];
const project = {
  labels: labels.map((name) => ({ name })),
  dataset: { container: 'shapes', prefix: '', connectionSetting: 'AzureWebJobsStorage', extensions: ['png'] },
};

function taskFor(blobPath: string, size: { width: number; height: number }, state: TaskState = 'new'): Task {
  const id = taskIdFor('shapes', blobPath);
  return {
    id,
    projectId: 'p',
    container: 'shapes',
    blobPath,
    blobUrl: `http://x/shapes/${blobPath}`,
    contentType: 'image/png',
    sizeBytes: 1,
    width: size.width,
    height: size.height,
    eTag: 'e',
    sequencer: '',
    state,
    shuffleKey: 0.5,
    createdAt: now,
    updatedAt: now,
  };
}

/** Reads a file and plans it against tasks for each image of `images` (matched by exact blob path). */
function plan(read: (log: IssueLog) => ReadItems, tasks: Task[]) {
  const log = new IssueLog();
  const { items } = read(log);
  const byPath = new Map(tasks.map((t) => [t.blobPath, t]));
  const resolved = items.map((i) =>
    blobPathCandidates(i.ref, project.dataset)
      .map((p) => byPath.get(p))
      .find((t) => t !== undefined),
  );
  return { planned: planImport(items, resolved, project, log), log: log.summary };
}

const kinds = (s: { byKind: Partial<Record<ImportIssueKind, number>> }) => Object.keys(s.byKind).sort();

/** Images with whole-pixel boxes inside them (what a labeling UI records). */
const knownImages = fc
  .uniqueArray(
    fc.record({
      n: fc.integer({ min: 0, max: 9999 }),
      width: fc.integer({ min: 8, max: 4096 }),
      height: fc.integer({ min: 8, max: 4096 }),
      seeds: fc.array(
        fc.record({
          label: fc.constantFrom(...labels),
          fx: fc.double({ min: 0, max: 0.9, noNaN: true }),
          fy: fc.double({ min: 0, max: 0.9, noNaN: true }),
          fw: fc.double({ min: 0.05, max: 1, noNaN: true }),
          fh: fc.double({ min: 0.05, max: 1, noNaN: true }),
        }),
        { maxLength: 6 },
      ),
    }),
    { selector: (r) => r.n, minLength: 1, maxLength: 8 },
  )
  .map((recs): KnownImage[] =>
    recs.map(({ n, width, height, seeds }) => ({
      fileName: `img/${n}.png`,
      width,
      height,
      boxes: seeds.map((s) => {
        const x = Math.floor(s.fx * (width - 2));
        const y = Math.floor(s.fy * (height - 2));
        return {
          label: s.label,
          x,
          y,
          width: Math.max(1, Math.floor(s.fw * (width - x))),
          height: Math.max(1, Math.floor(s.fh * (height - y))),
        };
      }),
    })),
  );

const tasksOf = (images: KnownImage[]) => images.map((i) => taskFor(i.fileName, i));

describe('reading an import file (round trips)', () => {
  it('a COCO dataset gives back exactly the boxes it was built from, on the right tasks', () => {
    fc.assert(
      fc.property(knownImages, (images) => {
        const tasks = tasksOf(images);
        const { planned, log } = plan((l) => readCoco(cocoDataset(images, labels), l), tasks);
        expect(log.count).toBe(0);
        expect(planned.map((p) => p.taskId)).toEqual(tasks.map((t) => t.id));
        expect(planned.map((p) => p.boxes)).toEqual(images.map((i) => i.boxes));
      }),
    );
  });

  it('Azure ML JSONL (fractions) lands on the same whole-pixel boxes', () => {
    fc.assert(
      fc.property(knownImages, (images) => {
        const { planned, log } = plan((l) => readAzureMlJsonl(azureMlJsonl(images), l), tasksOf(images));
        expect(log.count).toBe(0);
        expect(planned.map((p) => p.boxes)).toEqual(images.map((i) => i.boxes));
      }),
    );
  });

  it('a COCO results file keeps every detection with its score', () => {
    fc.assert(
      fc.property(knownImages, fc.double({ min: 0, max: 1, noNaN: true }), (images, score) => {
        const scored = images.map((i) => ({ ...i, boxes: i.boxes.map((b) => ({ ...b, score })) }));
        const { planned, log } = plan(
          (l) => readCocoResults(cocoResults(scored, labels), cocoDataset(images, labels), l),
          tasksOf(images),
        );
        expect(log.count).toBe(0);
        expect(planned.map((p) => p.boxes)).toEqual(scored.map((i) => i.boxes));
      }),
    );
  });
});

describe('hostile and malformed files', () => {
  const images: KnownImage[] = [
    { fileName: 'a.png', width: 100, height: 80, boxes: [{ label: 'circle', x: 10, y: 10, width: 20, height: 20 }] },
    { fileName: 'b.png', width: 50, height: 50, boxes: [] },
  ];
  const tasks = tasksOf(images);
  const coco = () => cocoDataset(images, labels);

  it('any JSON value that is not a COCO dataset is refused with issues, never a throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const log = new IssueLog();
        const { items } = readCoco(doc, log);
        expect(log.empty).toBe(false);
        expect(items).toEqual([]);
      }),
    );
  });

  it('wrong types are named by their path', () => {
    const doc = coco() as Record<string, unknown> & ReturnType<typeof coco>;
    (doc.images[0] as Record<string, unknown>).width = '100';
    (doc.annotations[0] as Record<string, unknown>).bbox = [1, 2, 3];
    const { log } = plan((l) => readCoco(doc, l), tasks);
    expect(log.items.map((i) => i.at)).toEqual(['images.0.width', 'annotations.0.bbox']);
    expect(kinds(log)).toEqual(['invalid']);
  });

  it('NaN, negative, zero and huge boxes are refused', () => {
    for (const bbox of [
      [Number.NaN, 0, 1, 1],
      [0, 0, -5, 10],
      [0, 0, 0, 10],
      [0, 0, Infinity, 10],
    ]) {
      const doc = coco();
      doc.annotations[0]!.bbox = bbox;
      expect(plan((l) => readCoco(doc, l), tasks).log.byKind, JSON.stringify(bbox)).toEqual({ invalid: 1 });
    }
    const doc = coco();
    doc.annotations[0]!.bbox = [1e300, 0, 1e300, 10];
    expect(plan((l) => readCoco(doc, l), tasks).log.byKind).toEqual({ outOfImage: 1 });
  });

  it('duplicate ids, unknown image and category ids, missing images, unknown labels, boxes outside', () => {
    const doc = coco();
    doc.images.push({ ...doc.images[0]!, file_name: 'c.png' }); // duplicate id 1
    doc.images.push({ id: 9, file_name: 'a.png', width: 100, height: 80 }); // a.png twice
    doc.images.push({ id: 10, file_name: 'nowhere/z.png', width: 10, height: 10 });
    doc.categories.push({ id: 1, name: 'dup', supercategory: '' });
    doc.categories.push({ id: 7, name: 'hexagon', supercategory: '' });
    doc.annotations.push({ ...doc.annotations[0]!, id: 1 }); // duplicate annotation id
    doc.annotations.push({ ...doc.annotations[0]!, id: 2, image_id: 404 });
    doc.annotations.push({ ...doc.annotations[0]!, id: 3, category_id: 404 });
    doc.annotations.push({ ...doc.annotations[0]!, id: 4, category_id: 7 });
    doc.annotations.push({ ...doc.annotations[0]!, id: 5, image_id: 2, bbox: [40, 40, 20, 20] }); // b is 50×50
    const { log, planned } = plan((l) => readCoco(doc, l), tasks);
    expect(log.byKind).toMatchObject({
      duplicateId: 3,
      duplicateImage: 1,
      unknownImage: 1,
      unknownCategory: 2,
      missingImage: 2,
      outOfImage: 1,
    });
    expect(log.items.find((i) => i.kind === 'unknownCategory' && i.image === 'a.png')?.message).toMatch(/hexagon/);
    expect({ ...log.unknownLabels }).toEqual({ hexagon: 1 });
    expect(planned.length).toBeGreaterThan(0); // planned, but a log with issues is never applied
  });

  it('label names the project lacks are summed per name, whatever the name', () => {
    const doc = coco();
    doc.categories[0]!.name = '__proto__';
    doc.annotations.push({ ...doc.annotations[0]!, id: 2 });
    const { log } = plan((l) => readCoco(doc, l), tasks);
    expect(Object.entries(log.unknownLabels!)).toEqual([['__proto__', 2]]);
    expect(JSON.stringify(log.unknownLabels)).toBe('{"__proto__":2}');
    expect(log.byKind).toEqual({ unknownCategory: 2 });
  });

  it('a file whose sizes disagree with the images is refused (its boxes would land elsewhere)', () => {
    const doc = coco();
    doc.images[0]!.width = 200;
    expect(plan((l) => readCoco(doc, l), tasks).log.byKind).toEqual({ sizeMismatch: 1 });
  });

  it('200,000 bad images are all counted, and only the first are listed', () => {
    const junk = { images: Array.from({ length: 200_000 }, () => ({ id: 'x' })), annotations: [], categories: [] };
    const log = new IssueLog();
    readCoco(junk, log);
    expect(log.summary.count).toBeGreaterThanOrEqual(200_000);
    expect(log.summary.items).toHaveLength(maxReportedItems);
  });

  it('JSONL lines that are not JSON, not the shape, or boxes the wrong way round are named by line', () => {
    const text = [
      '{"image_url": "a.png", "label": []}',
      '',
      'not json',
      '{"image_url": 3, "label": []}',
      '{"image_url": "b.png", "label": [{"label": "circle", "topX": 0.5, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.4}]}',
      '{"image_url": "a.png", "label": []}',
    ].join('\n');
    const { log } = plan((l) => readAzureMlJsonl(text, l), tasks);
    expect(log.items.map((i) => [i.kind, i.at])).toEqual([
      ['invalid', 'line 3'],
      ['invalid', 'line 4.image_url'],
      ['invalid', 'line 5.label.0.bottomX'],
      ['duplicateImage', 'line 6.image_url'],
    ]);
  });

  it('results name ids of the dataset they come with', () => {
    const results = cocoResults(images, labels);
    results.push({ image_id: 77, category_id: 1, bbox: [1, 1, 2, 2], score: 0.7 });
    results.push({ image_id: 1, category_id: 1, bbox: [1, 1, 2, 2], score: 1.5 });
    const { log } = plan((l) => readCocoResults(results, coco(), l), tasks);
    expect(log.items.map((i) => [i.kind, i.file, i.at])).toEqual([['invalid', 'source', '2.score']]);
    results.pop();
    expect(plan((l) => readCocoResults(results, coco(), l), tasks).log.byKind).toEqual({ unknownImage: 1 });
  });
});

describe('images the lookups stopped before', () => {
  it('are summed up in one issue, not reported missing one by one', () => {
    const images: KnownImage[] = [0, 1, 2].map((i) => ({ fileName: `${i}.png`, width: 10, height: 10, boxes: [] }));
    const log = new IssueLog();
    const { items } = readCoco(cocoDataset(images, labels), log);
    planImport(items, [undefined, notLookedUp, notLookedUp], project, log);
    expect(log.summary.byKind).toEqual({ missingImage: 2 });
    expect(log.summary.items[1]!.message).toMatch(/2 more were not looked up/);
  });
});

describe('matching images to blobs', () => {
  it('tries the path as written, then with leading folders dropped, inside the dataset prefix', () => {
    const ds = { prefix: '' };
    expect(blobPathCandidates('a/b.png', ds)).toEqual(['a/b.png', 'b.png']);
    expect(blobPathCandidates('azureml://datastores/imgs/paths/2024/x.png', ds)).toEqual(['2024/x.png', 'x.png']);
    expect(blobPathCandidates('http://127.0.0.1:10000/devstoreaccount1/shapes/q%20r.png', ds)).toEqual([
      'devstoreaccount1/shapes/q r.png',
      'shapes/q r.png',
      'q r.png',
    ]);
    expect(blobPathCandidates('x.png', { prefix: 'cam1/' })).toEqual(['cam1/x.png']);
    expect(blobPathCandidates('../etc/passwd', ds)).toEqual([]);
  });
});

describe('deciding what an import writes', () => {
  const box = { label: 'circle', x: 1, y: 2, width: 3, height: 4 };
  const by = { importId: 'imp1', format: 'coco', now };
  const t = taskFor('a.png', { width: 10, height: 10 });

  it('labels a new or prelabeled task, with the import recorded as its provenance', () => {
    for (const state of ['new', 'prelabeled'] as const) {
      const d = decideImportedLabels({ ...t, state }, [box], by);
      expect(d.kind === 'write' && d.task).toMatchObject({
        state: 'labeled',
        annotation: { boxes: [box], by: 'import:imp1', imported: { importId: 'imp1', format: 'coco' } },
      });
    }
  });

  it('running it again changes nothing, whatever import id the second run has', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom<TaskState>('new', 'prelabeled'), (id, state) => {
        const first = decideImportedLabels({ ...t, state }, [box], by);
        if (first.kind !== 'write') throw new Error('expected a write');
        expect(decideImportedLabels(first.task, [box], { ...by, importId: id })).toEqual({
          kind: 'ignore',
          reason: importSkips.unchanged,
        });
      }),
    );
  });

  it("never overwrites a person's label or skip, nor touches a task in a live batch", () => {
    const assigned = {
      ...t,
      state: 'assigned' as const,
      assignment: { batchId: 'b', labelerId: 'lena', leaseExpiresAt: now },
    };
    const labeled = decideSubmit(assigned, { boxes: [{ ...box, x: 2 }] }, { labelerId: 'lena', now });
    if (labeled.kind !== 'write') throw new Error('expected a write');
    expect(decideImportedLabels(labeled.task, [box], by)).toEqual({ kind: 'ignore', reason: importSkips.conflict });
    expect(decideImportedLabels(labeled.task, [{ ...box, x: 2 }], by)).toEqual({
      kind: 'ignore',
      reason: importSkips.unchanged,
    });
    expect(decideImportedLabels(assigned, [box], by)).toEqual({ kind: 'ignore', reason: importSkips.inBatch });
    const skipped = { ...t, state: 'skipped' as const, skip: { by: 'lena', at: now, reason: 'noObjects' as const } };
    expect(decideImportedLabels(skipped, [], by).kind).toBe('ignore');
    expect(decideImportedLabels(skipped, [box], by)).toEqual({ kind: 'ignore', reason: importSkips.conflict });
    expect(decideImportedLabels({ ...t, state: 'removed' }, [box], by)).toEqual({
      kind: 'ignore',
      reason: importSkips.gone,
    });
  });

  it('detections become prelabels above the threshold; every score ranks the queue', () => {
    const d = decideImportedPrelabel(
      t,
      [
        { ...box, score: 0.9 },
        { ...box, x: 5, score: 0.3 },
      ],
      0.5,
      by,
    );
    if (d.kind !== 'write') throw new Error('expected a write');
    expect(d.task).toMatchObject({
      state: 'prelabeled',
      prelabel: { modelRunId: 'import:imp1', boxes: [{ ...box, score: 0.9 }], threshold: 0.5 },
    });
    expect(d.task.prelabel!.confidence).toBeCloseTo(0.4); // |2·0.3 − 1|, the least sure box
    expect(decideImportedPrelabel(d.task, [{ ...box, score: 0.9 }], 0.5, by).kind).toBe('ignore');
    // The project's next model run replaces an imported prelabel.
    const run = decidePrediction(d.task, {
      runId: 'run-000000250',
      boxes: [],
      confidence: 1,
      threshold: 0.7,
      prelabel: true,
      at: now,
    });
    expect(run.kind).toBe('write');
  });

  it("another tool's labels (no scores) become prelabels shown as sure", () => {
    const d = decideImportedPrelabel(t, [box], 0.5, by);
    expect(d.kind === 'write' && d.task).toMatchObject({
      state: 'prelabeled',
      prelabel: { boxes: [box], confidence: 1 },
    });
  });

  it('prelabels never touch human work, and wait for a live batch to end', () => {
    for (const state of ['labeled', 'skipped'] as const) {
      expect(decideImportedPrelabel({ ...t, state }, [{ ...box, score: 0.9 }], 0.5, by)).toEqual({
        kind: 'ignore',
        reason: importSkips.humanWork,
      });
    }
    const assigned = {
      ...t,
      state: 'assigned' as const,
      assignment: { batchId: 'b', labelerId: 'lena', leaseExpiresAt: now },
    };
    const d = decideImportedPrelabel(assigned, [{ ...box, score: 0.9 }], 0.5, by);
    expect(d.kind === 'write' && d.task).toMatchObject({
      state: 'assigned',
      pendingPrelabel: { modelRunId: 'import:imp1' },
    });
  });
});

describe('the request body', () => {
  const parse = (body: unknown) => importRequestSchema.safeParse(body);
  it('needs a dataset for results, a string for inline JSONL, and no unknown fields', () => {
    expect(parse({ format: 'coco', source: { inline: {} } }).success).toBe(true);
    expect(parse({ format: 'coco-results', source: { inline: [] } }).success).toBe(false);
    expect(parse({ format: 'azureml-jsonl', source: { inline: [] } }).success).toBe(false);
    expect(parse({ format: 'coco', source: { inline: {} }, scoreThreshold: 0.5 }).success).toBe(false);
    expect(parse({ format: 'coco', source: { blobPath: '../other/x.json' } }).success).toBe(false);
    expect(parse({ format: 'coco', source: { inline: {} }, overwrite: true }).success).toBe(false);
    expect(parse({ format: 'coco', as: 'prelabels', source: { inline: {} }, scoreThreshold: 0.5 }).success).toBe(true);
    expect(
      parse({ format: 'coco-results', as: 'labels', source: { inline: [] }, dataset: { inline: {} } }).success,
    ).toBe(false);
  });
});
