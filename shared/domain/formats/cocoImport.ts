import { z } from 'zod';

/**
 * The COCO documents an import reads, as zod schemas (the parsed types are inferred from them). Only what an
 * object-detection import uses is checked, and checked strictly: ids are non-negative integers, sizes positive
 * integers (0 × 0 only as Azure ML's normalized export has it), `bbox` four finite numbers `[x, y, width, height]` in pixels with a positive extent. Other members the
 * COCO spec or a tool adds (`segmentation`, `area`, `license`, `coco_url`, `attributes`, …) are allowed and ignored:
 * files from other tools carry them and they change nothing about a box.
 */

/** Most images, boxes and categories one import may hold (the request and blob size caps come first anyway). */
export const maxImportImages = 200_000;
export const maxImportBoxes = 2_000_000;
export const maxImportCategories = 1000;

const cocoId = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');

// 0 is let through here for Azure ML Data Labeling's COCO export, whose boxes are fractions of the image and whose
// images all say 0 × 0 (`indexImages` refuses a 0 anywhere else).
const imageSide = z.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(100_000);

const finite = z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number');
const extent = finite.refine((v) => v > 0, 'must be greater than 0');

/** `[x, y, width, height]`, top-left corner and size in image pixels. */
export const cocoBboxSchema = z.tuple([finite, finite, extent, extent], {
  error: 'must be [x, y, width, height] (4 numbers)',
});

export const cocoImportImageSchema = z.looseObject({
  id: cocoId,
  file_name: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(1024),
  width: imageSide,
  height: imageSide,
});

export const cocoImportAnnotationSchema = z.looseObject({
  id: cocoId,
  image_id: cocoId,
  category_id: cocoId,
  bbox: cocoBboxSchema,
  iscrowd: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }).optional(),
});

export const cocoImportCategorySchema = z.looseObject({
  id: cocoId,
  name: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(256),
});

const images = z
  .array(cocoImportImageSchema, { error: 'must be an array' })
  .max(maxImportImages, `at most ${maxImportImages} images per import: import a larger dataset in parts`);
const categories = z.array(cocoImportCategorySchema, { error: 'must be an array' }).max(maxImportCategories);

/** A COCO object-detection dataset (`instances_*.json`): images, their annotations and the categories. */
export const cocoImportDocumentSchema = z.looseObject({
  images,
  annotations: z
    .array(cocoImportAnnotationSchema, { error: 'must be an array' })
    .max(maxImportBoxes, `at most ${maxImportBoxes} annotations per import`),
  categories,
});

/** One detection of a COCO results file (what `pycocotools` `loadRes` reads): a scored box on an image. */
export const cocoResultSchema = z.looseObject({
  image_id: cocoId,
  category_id: cocoId,
  bbox: cocoBboxSchema,
  score: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(1, 'must be 1 or less'),
});

/** A COCO results file: a bare array of detections, whose ids refer to a dataset's images and categories. */
export const cocoResultsSchema = z
  .array(cocoResultSchema, { error: 'must be an array' })
  .max(maxImportBoxes, `at most ${maxImportBoxes} detections per import`);

/**
 * The dataset a results file refers to: its images (file names and sizes) and categories. Annotations in it, if
 * any, are not read: the results are what is imported.
 */
export const cocoResultsReferenceSchema = z.looseObject({ images, categories });

export type CocoImportDocument = z.infer<typeof cocoImportDocumentSchema>;
export type CocoImportImage = z.infer<typeof cocoImportImageSchema>;
export type CocoImportAnnotation = z.infer<typeof cocoImportAnnotationSchema>;
export type CocoImportCategory = z.infer<typeof cocoImportCategorySchema>;
export type CocoResult = z.infer<typeof cocoResultSchema>;
export type CocoResultsReference = z.infer<typeof cocoResultsReferenceSchema>;
