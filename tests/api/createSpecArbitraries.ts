import fc from 'fast-check';

/** Generators for `POST /api/projects` bodies: valid ones, and one-field mutations that make them invalid. */

export type Spec = Record<string, unknown> & {
  type: string;
  labels: Array<{ name: string; color?: string }>;
  dataset: Record<string, unknown>;
};

const types = ['objectDetection', 'imageClassification', 'imageClassificationMultiLabel'] as const;

/** Any Unicode text with something besides white space; lengths are UTF-16 units, as the API counts them. */
const nonBlank = (maxLength: number) =>
  fc.string({ minLength: 1, maxLength, unit: 'grapheme' }).filter((s) => s.trim().length > 0 && s.length <= maxLength);

const labelArb = fc.record(
  { name: nonBlank(100), color: fc.stringMatching(/^#[0-9a-fA-F]{6}$/) },
  { requiredKeys: ['name'] },
);

/** Azure container names: lower-case alphanumeric runs joined by single hyphens, 3-63 characters. */
const containerArb = fc
  .array(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('-'))
  .filter((c) => c.length >= 3 && c.length <= 63);

const datasetArb = fc.record(
  {
    container: containerArb,
    connectionSetting: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/),
    prefix: fc.string({ maxLength: 40 }).filter((p) => !p.startsWith('/')),
    extensions: fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 6 }),
  },
  { requiredKeys: ['container'] },
);

const mlAssistArb = (type: string) =>
  fc.record(
    {
      enabled: type === 'objectDetection' ? fc.boolean() : fc.constant(false),
      initialTrainingThreshold: fc.integer({ min: 10, max: 1_000_000 }),
      additionalLabelsOnRejectedModel: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { requiredKeys: [] },
  );

export const validSpecArb: fc.Arbitrary<Spec> = fc.constantFrom(...types).chain((type) =>
  fc.record(
    {
      id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/),
      name: nonBlank(200),
      type: fc.constant(type),
      labels: fc.uniqueArray(labelArb, { minLength: 1, maxLength: 12, selector: (l) => l.name.trim().toLowerCase() }),
      instructions: fc.string({ maxLength: 300 }),
      dataset: datasetArb,
      mlAssist: mlAssistArb(type),
      batchPolicy: fc.record(
        { size: fc.integer({ min: 1, max: 500 }), leaseMinutes: fc.integer({ min: 1, max: 1440 }) },
        { requiredKeys: [] },
      ),
      incrementalRefresh: fc.record(
        { enabled: fc.boolean(), intervalMinutes: fc.integer({ min: 1, max: 10080 }) },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['name', 'type', 'labels', 'dataset'] },
  ),
);

export interface Mutation {
  /** What the mutation breaks, for failure messages. */
  what: string;
  /** The field the API must name. */
  field: string;
  apply(spec: Spec): Spec;
}

const clone = (spec: Spec): Spec => structuredClone(spec);
const set = (what: string, field: string, change: (s: Spec) => void): Mutation => ({
  what,
  field,
  apply: (spec) => {
    const s = clone(spec);
    change(s);
    return s;
  },
});

/** One-field mutations, each with the field the 422 must name; `i` picks a label. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.nat().chain((i) =>
  fc.constantFrom<Mutation>(
    set('empty name', 'name', (s) => (s.name = '')),
    set('blank name', 'name', (s) => (s.name = '   ')),
    set('name too long', 'name', (s) => (s.name = 'n'.repeat(201))),
    set('numeric name', 'name', (s) => (s.name = 42)),
    set('missing name', 'name', (s) => delete s.name),
    set('unknown type', 'type', (s) => (s.type = 'segmentation')),
    set('no labels', 'labels', (s) => (s.labels = [])),
    set('missing labels', 'labels', (s) => delete (s as Record<string, unknown>).labels),
    set('duplicate label', 'labels', (s) => s.labels.push({ ...s.labels[i % s.labels.length]! })),
    set('blank label name', `labels.${i % 12}.name`, (s) => {
      while (s.labels.length <= i % 12) s.labels.push({ name: `extra-${s.labels.length}` });
      s.labels[i % 12]!.name = ' ';
    }),
    set('label colour by name', `labels.0.color`, (s) => (s.labels[0]!.color = 'red')),
    set('upper-case container', 'dataset.container', (s) => (s.dataset.container = 'Images')),
    set('short container', 'dataset.container', (s) => (s.dataset.container = 'ab')),
    set('double hyphen container', 'dataset.container', (s) => (s.dataset.container = 'my--images')),
    set('underscore container', 'dataset.container', (s) => (s.dataset.container = 'my_images')),
    set('missing container', 'dataset.container', (s) => delete s.dataset.container),
    set('missing dataset', 'dataset', (s) => delete (s as Record<string, unknown>).dataset),
    set('absolute prefix', 'dataset.prefix', (s) => (s.dataset.prefix = '/images')),
    set('no extensions', 'dataset.extensions', (s) => (s.dataset.extensions = [])),
    set('dotted extension', 'dataset.extensions.0', (s) => (s.dataset.extensions = ['.jpg'])),
    set('bad connection setting', 'dataset.connectionSetting', (s) => (s.dataset.connectionSetting = '1st setting')),
    set('upper-case id', 'id', (s) => (s.id = 'My-Project')),
    set('two-character id', 'id', (s) => (s.id = 'ab')),
    set('batch size 0', 'batchPolicy.size', (s) => (s.batchPolicy = { size: 0 })),
    set('batch size 501', 'batchPolicy.size', (s) => (s.batchPolicy = { size: 501 })),
    set('fractional batch size', 'batchPolicy.size', (s) => (s.batchPolicy = { size: 2.5 })),
    set('string batch size', 'batchPolicy.size', (s) => (s.batchPolicy = { size: '75' })),
    set('lease 0 minutes', 'batchPolicy.leaseMinutes', (s) => (s.batchPolicy = { leaseMinutes: 0 })),
    set('threshold 9', 'mlAssist.initialTrainingThreshold', (s) => (s.mlAssist = { initialTrainingThreshold: 9 })),
    set('ML assist on a classifier', 'mlAssist.enabled', (s) => {
      s.type = 'imageClassification';
      s.mlAssist = { enabled: true };
    }),
    set('misspelt ML assist field', 'mlAssist.enable', (s) => (s.mlAssist = { enable: false })),
    set('unknown top-level field', 'owner', (s) => (s.owner = 'someone')),
    set('instructions too long', 'instructions', (s) => (s.instructions = 'i'.repeat(20_001))),
    set('refresh every 0 minutes', 'incrementalRefresh.intervalMinutes', (s) => {
      s.incrementalRefresh = { intervalMinutes: 0 };
    }),
  ),
);
