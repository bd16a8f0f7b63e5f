import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IssueLog } from '../../shared/domain/imports/importIssues';
import { readAzureMlJsonl, readCoco, readCocoResults } from '../../shared/domain/imports/importItems';
import { GroupedBoxes, type ScannedImport } from '../../shared/domain/imports/scannedImport';
import {
  scanCocoResultsStreams,
  scanCocoStream,
  scanJsonlStream,
  type ByteStream,
} from '../../shared/services/importScan';

// The streamed readers (blob imports of any size) against the whole-document readers the inline import uses: for
// any file, valid or not, they must find the same images with the same boxes and report the same issues. Files are
// written with members in any order (categories after annotations), with segmentation polygons and RLE masks that
// the streamed reader steps over, and cut into arbitrary chunks the way a download delivers them.

/**
 * The documents' parts. With `shapeDefects`, values are mostly valid and sometimes of a wrong type or missing (the
 * schema's issues); without, every value has the right shape and only the cross-references can be wrong (repeated
 * ids, unknown images and categories), so the readers get as far as the boxes.
 */
function arbitraries(shapeDefects: boolean) {
  /** Mostly valid values, sometimes one of the ways a file goes wrong. */
  const maybe = <T>(good: fc.Arbitrary<T>, ...bad: Array<fc.Arbitrary<unknown>>) =>
    shapeDefects
      ? fc.oneof(
          { weight: 8, arbitrary: good as fc.Arbitrary<unknown> },
          ...bad.map((b) => ({ weight: 1, arbitrary: b })),
        )
      : (good as fc.Arbitrary<unknown>);

  const id = maybe(fc.integer({ min: 0, max: 12 }), fc.constant(-1), fc.constant('7'), fc.constant(1.5));
  const side = maybe(fc.integer({ min: 1, max: 400 }), fc.constant(0), fc.constant('wide'));
  const coord = fc
    .double({ min: -5, max: 300, noNaN: true, noDefaultInfinity: true })
    .map((v) => Math.round(v * 100) / 100);
  const extent = fc
    .double({ min: 0.5, max: 200, noNaN: true, noDefaultInfinity: true })
    .map((v) => Math.round(v * 100) / 100);
  const bbox = maybe(fc.tuple(coord, coord, extent, extent), fc.constant([1, 2, 3]), fc.constant([0, 0, -1, 4]));
  const segmentation = fc.oneof(
    fc.array(fc.array(coord, { minLength: 6, maxLength: 40 }), { minLength: 1, maxLength: 3 }),
    fc.record({ counts: fc.array(fc.nat(1000), { maxLength: 30 }), size: fc.tuple(fc.nat(500), fc.nat(500)) }),
  );

  const imageArb = fc.record({
    id,
    file_name: maybe(
      fc.constantFrom('a.png', 'b.png', 'c.png', 'd/e.png', 'f.png', 'g.png'),
      fc.constant(''),
      fc.constant(7),
    ),
    width: side,
    height: side,
    license: fc.nat(5),
  });
  const annotationArb = fc.record(
    {
      id,
      image_id: id,
      category_id: id,
      bbox,
      iscrowd: maybe(fc.constantFrom(0, 1), fc.constant(2)),
      area: fc.nat(1000),
      segmentation,
    },
    { requiredKeys: ['id', 'image_id', 'category_id', 'bbox'] },
  );
  const categoryArb = fc.record({
    id,
    name: maybe(fc.constantFrom('circle', 'square', 'triangle', 'hexagon'), fc.constant('')),
    supercategory: fc.constant('shape'),
  });
  const detectionArb = fc.record({
    image_id: id,
    category_id: id,
    bbox,
    score: maybe(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1.5)),
  });

  /** A COCO document's members in any order, some sometimes missing or of the wrong type. */
  const cocoDocArb = (withAnnotations: boolean) =>
    fc
      .record({
        images: maybe(fc.array(imageArb, { maxLength: 8 }), fc.constant({ images: 1 })),
        annotations: withAnnotations
          ? maybe(fc.array(annotationArb, { maxLength: 20 }), fc.constant(null))
          : fc.array(annotationArb, { maxLength: 3 }),
        categories: maybe(fc.array(categoryArb, { maxLength: 5 }), fc.constant('none')),
        info: fc.record({ description: fc.string() }),
        drop: maybe(fc.constant(undefined), fc.constantFrom('images', 'annotations', 'categories')),
        order: fc.shuffledSubarray(['images', 'annotations', 'categories', 'info'], { minLength: 4, maxLength: 4 }),
      })
      .map(({ drop, order, ...members }) => {
        const doc: Record<string, unknown> = {};
        for (const key of order) if (key !== drop) doc[key] = members[key as keyof typeof members];
        return doc;
      });
  return { cocoDocArb, detectionArb, maybe };
}

const shaky = arbitraries(true);
const wellFormed = arbitraries(false);

/** The text in arbitrary pieces, as a download streams it. */
function streamOf(text: string, cuts: number[]): ByteStream {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) parts.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return Readable.from(parts) as unknown as ByteStream;
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

const itemsOf = (scan: ScannedImport | null) => (scan ? new GroupedBoxes(scan).itemsFor(0, scan.images.length) : []);

describe('streamed import readers read as the whole-document readers do', () => {
  it.each([
    ['with shape defects', shaky],
    ['well-formed, with wrong references', wellFormed],
  ])('COCO datasets %s', async (_name, { cocoDocArb }) => {
    await fc.assert(
      fc.asyncProperty(cocoDocArb(true), cutsArb, async (doc, cuts) => {
        const inline = new IssueLog();
        // Both read the same text (as sent over HTTP: JSON has no -0).
        const expected = readCoco(JSON.parse(JSON.stringify(doc)), inline);
        const streamed = new IssueLog();
        const scan = await scanCocoStream(streamOf(JSON.stringify(doc), cuts), streamed);
        expect(streamed.summary).toEqual(inline.summary);
        expect(itemsOf(scan)).toEqual(expected.items);
        expect(scan?.crowdIgnored ?? 0).toBe(expected.crowdIgnored);
      }),
      { numRuns: 300 },
    );
  });

  it("Azure ML Data Labeling's normalized COCO exports (every image 0 × 0, boxes as fractions)", async () => {
    const normalized = wellFormed.cocoDocArb(true).map((doc) => ({
      ...doc,
      ...(Array.isArray(doc.images)
        ? { images: (doc.images as Array<Record<string, unknown>>).map((img) => ({ ...img, width: 0, height: 0 })) }
        : {}),
      ...(Array.isArray(doc.annotations)
        ? {
            annotations: (doc.annotations as Array<{ bbox: number[] }>).map((a) => ({
              ...a,
              bbox: a.bbox.map((v) => Math.round((v / 400) * 1e4) / 1e4),
            })),
          }
        : {}),
    }));
    await fc.assert(
      fc.asyncProperty(normalized, cutsArb, async (doc, cuts) => {
        const inline = new IssueLog();
        const expected = readCoco(JSON.parse(JSON.stringify(doc)), inline);
        const streamed = new IssueLog();
        const scan = await scanCocoStream(streamOf(JSON.stringify(doc), cuts), streamed);
        expect(streamed.summary).toEqual(inline.summary);
        expect(itemsOf(scan)).toEqual(expected.items);
        for (const item of expected.items) expect(item.pixels).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['with shape defects', shaky],
    ['well-formed, with wrong references', wellFormed],
  ])('COCO results with their dataset %s', async (_name, { cocoDocArb, detectionArb, maybe }) => {
    await fc.assert(
      fc.asyncProperty(
        maybe(fc.array(detectionArb, { maxLength: 20 }), fc.constant({ results: [] })),
        cocoDocArb(false),
        cutsArb,
        async (results, dataset, cuts) => {
          const inline = new IssueLog();
          const expected = readCocoResults(
            JSON.parse(JSON.stringify(results)),
            JSON.parse(JSON.stringify(dataset)),
            inline,
          );
          const streamed = new IssueLog();
          const scan = await scanCocoResultsStreams(
            () => Promise.resolve(streamOf(JSON.stringify(results), cuts)),
            () => Promise.resolve(streamOf(JSON.stringify(dataset), cuts)),
            streamed,
          );
          expect(streamed.summary).toEqual(inline.summary);
          expect(itemsOf(scan)).toEqual(expected.items);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('Azure ML JSONL', async () => {
    const { maybe } = shaky;
    const box = fc.record({
      label: maybe(fc.constantFrom('circle', 'square'), fc.constant('')),
      topX: fc.double({ min: 0, max: 0.5, noNaN: true }),
      topY: fc.double({ min: 0, max: 0.5, noNaN: true }),
      bottomX: maybe(fc.double({ min: 0.5, max: 1, noNaN: true }), fc.constant(0)),
      bottomY: fc.double({ min: 0.5, max: 1, noNaN: true }),
      isCrowd: fc.constantFrom(0, 1),
    });
    const line = fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .record({ image_url: fc.constantFrom('a.png', 'b.png', 'c.png'), label: fc.array(box, { maxLength: 4 }) })
          .map((l) => JSON.stringify(l)),
      },
      { weight: 1, arbitrary: fc.constantFrom('', '   ', '{"image_url": ', '{"label": []}') },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 10 }), cutsArb, async (lines, cuts) => {
        const text = lines.join('\n');
        const inline = new IssueLog();
        const expected = readAzureMlJsonl(text, inline);
        const streamed = new IssueLog();
        const scan = await scanJsonlStream(streamOf(text, cuts), streamed);
        expect(streamed.summary).toEqual(inline.summary);
        expect(itemsOf(scan)).toEqual(expected.items);
      }),
      { numRuns: 200 },
    );
  });

  it('a file that is not JSON is one invalid issue', async () => {
    const log = new IssueLog();
    expect(await scanCocoStream(streamOf('{"images": [1, 2', []), log)).toBeNull();
    expect(log.summary.items).toEqual([expect.objectContaining({ kind: 'invalid', file: 'source', at: '(document)' })]);
    expect(log.summary.items[0]!.message).toMatch(/^not JSON/);
  });
});
