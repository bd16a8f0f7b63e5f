import { z } from 'zod';
import type { Project } from './project';
import type { Box } from './task';

/** Most boxes one image may carry: beyond this it is a client bug, not labeling. */
export const maxBoxesPerImage = 1000;

/** Boxes may overshoot the image edge by this many pixels (rounding in labeling UIs). */
export const edgeTolerancePx = 1;

const finite = (field: string) =>
  z.number({ error: `${field} must be a number` }).refine(Number.isFinite, `${field} must be a finite number`);

// Strict like the body around it: a field the API does not store (score, rotation, …) is a client bug to report,
// not something to drop while the labeler believes it was saved.
const boxSchema = z.strictObject({
  label: z.string().min(1),
  x: finite('x'),
  y: finite('y'),
  width: finite('width').refine((w) => w > 0, 'width must be greater than 0'),
  height: finite('height').refine((h) => h > 0, 'height must be greater than 0'),
});

const commonFields = {
  /** Time the labeler spent on the image, as measured by the client. */
  secondsOnTask: z
    .number()
    .min(0)
    .max(24 * 3600)
    .optional(),
};

type ProjectShape = Pick<Project, 'type' | 'labels'>;
type ImageSize = { width: number | null; height: number | null };

/** Schemas built so far: every submission needs one, and building a zod schema costs more than using it. */
const schemaCache = new Map<string, ReturnType<typeof buildAnnotationSchema>>();
const maxCachedSchemas = 1000;

/**
 * The annotation body a labeler submits, validated against the project (label set, type) and the image (boxes must
 * lie inside it, within a 1 px tolerance). Box coordinates are image pixels, origin top-left.
 */
export function annotationSchemaFor(project: ProjectShape, image: ImageSize) {
  const key = JSON.stringify([project.type, project.labels.map((l) => l.name), image.width, image.height]);
  let schema = schemaCache.get(key);
  if (!schema) {
    schema = buildAnnotationSchema(project, image);
    if (schemaCache.size >= maxCachedSchemas) schemaCache.delete(schemaCache.keys().next().value!);
    schemaCache.set(key, schema);
  }
  return schema;
}

function buildAnnotationSchema(project: ProjectShape, image: ImageSize) {
  const known = new Set(project.labels.map((l) => l.name));
  const labelIssue = (name: string) => `unknown label '${name}' (the project's labels: ${[...known].join(', ')})`;
  if (project.type === 'objectDetection') {
    return z
      .object({
        boxes: z.array(boxSchema).max(maxBoxesPerImage, `at most ${maxBoxesPerImage} boxes per image`),
        ...commonFields,
      })
      .strict()
      .superRefine((body, ctx) => {
        body.boxes.forEach((b, i) => {
          if (!known.has(b.label))
            ctx.addIssue({ code: 'custom', path: ['boxes', i, 'label'], message: labelIssue(b.label) });
          if (b.x < -edgeTolerancePx)
            ctx.addIssue({ code: 'custom', path: ['boxes', i, 'x'], message: 'x is left of the image' });
          if (b.y < -edgeTolerancePx)
            ctx.addIssue({ code: 'custom', path: ['boxes', i, 'y'], message: 'y is above the image' });
          if (image.width !== null && b.x + b.width > image.width + edgeTolerancePx) {
            ctx.addIssue({
              code: 'custom',
              path: ['boxes', i, 'width'],
              message: `box extends past the image's right edge (x + width = ${b.x + b.width} > ${image.width})`,
            });
          }
          if (image.height !== null && b.y + b.height > image.height + edgeTolerancePx) {
            ctx.addIssue({
              code: 'custom',
              path: ['boxes', i, 'height'],
              message: `box extends past the image's bottom edge (y + height = ${b.y + b.height} > ${image.height})`,
            });
          }
        });
      });
  }
  const multi = project.type === 'imageClassificationMultiLabel';
  return z
    .object({
      labels: z
        .array(z.string().min(1))
        .min(1, 'choose at least one label')
        .max(multi ? known.size : 1, multi ? 'too many labels' : 'choose exactly one label'),
      ...commonFields,
    })
    .strict()
    .superRefine((body, ctx) => {
      body.labels.forEach((l, i) => {
        if (!known.has(l)) ctx.addIssue({ code: 'custom', path: ['labels', i], message: labelIssue(l) });
      });
      if (new Set(body.labels).size !== body.labels.length) {
        ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels must not repeat' });
      }
    });
}

export type AnnotationBody = { boxes?: Box[]; labels?: string[]; secondsOnTask?: number };

/** Two submissions carry the same labels (box order does not matter). */
export function sameLabels(a: AnnotationBody, b: AnnotationBody): boolean {
  const key = (x: AnnotationBody) =>
    JSON.stringify({
      boxes: (x.boxes ?? []).map((bx) => [bx.label, bx.x, bx.y, bx.width, bx.height]).sort(),
      labels: [...(x.labels ?? [])].sort(),
    });
  return key(a) === key(b);
}
