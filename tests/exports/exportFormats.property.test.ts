import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validationProblem } from '../../functions/http/problem';
import { csvField } from '../../shared/domain/formats/csvExport';
import { exportRequestSchema } from '../../shared/domain/formats/exportRequest';
import { blockListFor, type StreamedDocument } from '../../shared/domain/formats/streamedDocument';
import { parseCsv } from './validators';

const validRequestArb = fc.record(
  {
    format: fc.constantFrom('coco', 'azureml-jsonl', 'yolo', 'csv'),
    include: fc.constantFrom('labeled', 'labeled+prelabeled'),
    split: fc.record(
      {
        validation: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        seed: fc.integer({ min: 0, max: 2_147_483_647 }),
      },
      { requiredKeys: ['validation'] },
    ),
  },
  { requiredKeys: ['format'] },
);

/** One field of a valid request made wrong, and the field a 422 must name. */
const mutationArb = fc.oneof(
  fc.record({
    field: fc.constant('format'),
    value: fc
      .oneof(fc.string(), fc.integer(), fc.constant(null))
      .filter((v) => !['coco', 'azureml-jsonl', 'yolo', 'csv'].includes(v as string)),
  }),
  fc.record({
    field: fc.constant('include'),
    value: fc.oneof(fc.string(), fc.boolean()).filter((v) => v !== 'labeled' && v !== 'labeled+prelabeled'),
  }),
  fc.record({
    field: fc.constant('split.validation'),
    value: fc.oneof(fc.double({ min: 1, max: 1e6 }), fc.double({ min: -1e6, max: 0 }), fc.string()),
  }),
  fc.record({
    field: fc.constant('split.seed'),
    value: fc.oneof(fc.integer({ max: -1 }), fc.double({ min: 0.1, max: 0.9 }), fc.string()),
  }),
  fc.record({ field: fc.stringMatching(/^[a-z]{3,12}$/), value: fc.anything() }),
);

function fieldsNamed(body: unknown): string[] | undefined {
  const result = exportRequestSchema.safeParse(body);
  if (result.success) return undefined;
  const problem = JSON.parse(validationProblem(result.error).body as string) as { errors: Array<{ field: string }> };
  return problem.errors.map((e) => e.field);
}

describe('the export request schema', () => {
  it('accepts every valid request, with include defaulting to labeled and the seed to 0', () => {
    fc.assert(
      fc.property(validRequestArb, (body) => {
        const parsed = exportRequestSchema.parse(body);
        expect(parsed.format).toBe(body.format);
        expect(parsed.include).toBe(body.include ?? 'labeled');
        if (body.split) expect(parsed.split).toEqual({ validation: body.split.validation, seed: body.split.seed ?? 0 });
      }),
      { numRuns: 200 },
    );
  });

  it('rejects one wrong field of a valid request and names it', () => {
    fc.assert(
      fc.property(validRequestArb, mutationArb, (body, { field, value }) => {
        if (['format', 'include', 'split'].includes(field)) return; // a "unknown field" that is a known one
        const copy = structuredClone(body) as Record<string, unknown>;
        const [head, tail] = field.split('.');
        if (tail) copy[head!] = { validation: 0.2, ...(copy[head!] as object), [tail]: value };
        else copy[head!] = value;
        const named = fieldsNamed(copy);
        expect(named, JSON.stringify(copy)).toBeDefined();
        expect(named).toContain(field);
      }),
      { numRuns: 300 },
    );
  });
});

describe('streamed documents', () => {
  it('assemble into valid JSON whichever chunks are empty, in chunk order', () => {
    const doc: StreamedDocument = {
      path: 'd.json',
      contentType: 'application/json',
      frame: ['{"a":[', '],"b":[', ']}'],
      separator: ',',
    };
    const chunkArb = fc.tuple(fc.array(fc.integer(), { maxLength: 3 }), fc.array(fc.integer(), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 8 }), (chunks) => {
        const parts = new Map<string, string>();
        const staged = chunks.map((sections, c) =>
          sections.map((values, s) => {
            const text = values.join(',');
            if (text !== '') parts.set(`p${String(s).padStart(3, '0')}${String(c).padStart(7, '0')}`, text);
            return text !== '';
          }),
        );
        const blocks = blockListFor(doc, staged);
        expect(new Set(blocks.map((b) => b.id)).size).toBe(blocks.length);
        expect(new Set(blocks.map((b) => b.id.length)).size).toBeLessThanOrEqual(1);
        const text = blocks.map((b) => b.body ?? parts.get(b.id)!).join('');
        expect(JSON.parse(text)).toEqual({ a: chunks.flatMap((c) => c[0]), b: chunks.flatMap((c) => c[1]) });
      }),
      { numRuns: 300 },
    );
  });
});

describe('CSV fields', () => {
  it('read back as written, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map(([a, b]) => `${csvField(a)},${csvField(b)}\r\n`).join('');
        expect(parseCsv(text)).toEqual(rows.map(([a, b]) => [a, b]));
      }),
      { numRuns: 300 },
    );
  });
});
