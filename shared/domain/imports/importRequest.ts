import { z } from 'zod';
import { hasControlCharacter } from '../ids';

/**
 * `POST /api/projects/{projectId}/imports`: which format, and where the file is — in the body (`inline`) or as a
 * blob in the project's own container (`blobPath`, for files over the body limit).
 */
export const importFormats = ['coco', 'coco-results', 'azureml-jsonl'] as const;
export type ImportFormat = (typeof importFormats)[number];

/** A blob in the project's container: a plain relative path, no `..`, no control characters. */
const blobPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !hasControlCharacter(p), { message: 'must not contain control characters', abort: true })
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'must be a path inside the container (no leading / or ..)',
  );

const sourceSchema = z.union([z.strictObject({ inline: z.unknown() }), z.strictObject({ blobPath: blobPathSchema })], {
  error: 'must be {"inline": <the file>} or {"blobPath": "<blob in the project\'s container>"}',
});
export type ImportSource = z.infer<typeof sourceSchema>;

export const importRequestSchema = z
  .strictObject({
    format: z.enum(importFormats),
    /** The file: a COCO dataset, a COCO results array, or Azure ML JSONL (inline as one string). */
    source: sourceSchema,
    /**
     * What the boxes become: `labels` (the default for coco and azureml-jsonl) or `prelabels` for review (the only
     * choice for coco-results: a model's guesses are not labels).
     */
    as: z.enum(['labels', 'prelabels']).optional(),
    /** coco-results only: the COCO dataset whose image and category ids the results use. */
    dataset: sourceSchema.optional(),
    /** Prelabels only: boxes scoring at least this become prelabels (all of them rank the queue). */
    scoreThreshold: z.number().min(0).max(1).optional(),
    /** Check and report what would happen, write nothing. */
    dryRun: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    if (r.format === 'coco-results' && !r.dataset) {
      ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'coco-results needs the dataset its ids refer to' });
    }
    if (r.format !== 'coco-results' && r.dataset) {
      ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'only for coco-results' });
    }
    if (r.format === 'coco-results' && r.as === 'labels') {
      ctx.addIssue({ code: 'custom', path: ['as'], message: "a model's detections import as prelabels, not labels" });
    }
    if (importsAs(r) === 'labels' && r.scoreThreshold !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['scoreThreshold'], message: 'only for prelabels' });
    }
    if (r.format === 'azureml-jsonl' && 'inline' in r.source && typeof r.source.inline !== 'string') {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'inline'],
        message: 'azureml-jsonl inline is the file as one string',
      });
    }
    if ('inline' in r.source && r.source.inline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['source', 'inline'], message: 'is required' });
    }
  });
export type ImportRequest = z.output<typeof importRequestSchema>;

/** What an import's boxes become. */
export function importsAs(r: Pick<ImportRequest, 'format' | 'as'>): 'labels' | 'prelabels' {
  return r.as ?? (r.format === 'coco-results' ? 'prelabels' : 'labels');
}

/** Detections at or above this become prelabels when the request names no threshold. */
export const defaultScoreThreshold = 0.5;
