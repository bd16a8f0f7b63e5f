import {
  cocoImportDocumentSchema,
  cocoResultsReferenceSchema,
  cocoResultsSchema,
  type CocoImportCategory,
  type CocoImportImage,
} from '../formats/cocoImport';
import type { NormalizedBox } from '../normalizedBox';
import type { Box } from '../task';
import { IssueLog } from './importIssues';
import { GroupedBoxes } from './scannedImport';
import { JsonlScan } from './scanJsonl';

/**
 * Every import format read into one shape: the images it names, each with its boxes, before anything is matched to
 * the project. Pure: the documents are already JSON values (or JSONL text); the issues go to the log.
 */

export interface Located<T> {
  /** Where the box is in its file (`annotations.12`, `line 4.label.0`). */
  at: string;
  box: T;
}

export interface ImportItem {
  /** The image as the file names it: a COCO `file_name` or an Azure ML `image_url`. */
  ref: string;
  /** Where the image is in its file (`images.3`, `line 4`). */
  at: string;
  file: 'source' | 'dataset';
  /** The size the file says the image has. */
  declared?: { width: number; height: number };
  /** Boxes in pixels (COCO; detections carry `score`), or as fractions of the image (Azure ML JSONL). */
  pixels?: Array<Located<Box>>;
  fractions?: Array<Located<NormalizedBox>>;
}

export interface ReadItems {
  items: ImportItem[];
  /** Crowd regions (`iscrowd: 1`) are not objects to draw a box around: left out, and counted. */
  crowdIgnored: number;
}

export function indexCategories(categories: CocoImportCategory[], file: 'source' | 'dataset', log: IssueLog) {
  const byId = new Map<number, string>();
  const names = new Set<string>();
  categories.forEach((c, i) => {
    if (byId.has(c.id)) log.add({ kind: 'duplicateId', file, at: `categories.${i}.id`, message: `id ${c.id} repeats` });
    if (names.has(c.name)) {
      log.add({ kind: 'duplicateId', file, at: `categories.${i}.name`, message: `name '${c.name}' repeats` });
    }
    // The first of a repeated id counts (the file is refused anyway; the report should not mislead).
    if (!byId.has(c.id)) byId.set(c.id, c.name);
    names.add(c.name);
  });
  return byId;
}

/**
 * Whether a COCO dataset is Azure ML Data Labeling's export with normalized coordinates (its default): every image
 * says 0 × 0 and every `bbox` is `[x, y, width, height]` as fractions of the image. Its boxes are placed on the
 * project's own image sizes, as Azure ML JSONL's are.
 */
export function isNormalizedCoco(images: readonly CocoImportImage[]): boolean {
  return images.length > 0 && images.every((img) => img.width === 0 && img.height === 0);
}

/** A normalized COCO `bbox` as the fractions an import places (`isNormalizedCoco`). */
export function normalizedCocoBox(label: string, x: number, y: number, width: number, height: number): NormalizedBox {
  return { label, topX: x, topY: y, bottomX: x + width, bottomY: y + height };
}

export function indexImages(images: CocoImportImage[], file: 'source' | 'dataset', log: IssueLog, normalized = false) {
  const byId = new Map<number, ImportItem>();
  const names = new Set<string>();
  const items: ImportItem[] = [];
  images.forEach((img, i) => {
    const at = `images.${i}`;
    if (!normalized) {
      for (const side of ['width', 'height'] as const) {
        if (img[side] === 0) {
          log.add({
            kind: 'invalid',
            file,
            at: `${at}.${side}`,
            message:
              "must be 1 or more (0 × 0 only in a file whose every image is 0 × 0: Azure ML's normalized COCO export)",
          });
        }
      }
    }
    if (byId.has(img.id)) log.add({ kind: 'duplicateId', file, at: `${at}.id`, message: `id ${img.id} repeats` });
    if (names.has(img.file_name)) {
      log.add({
        kind: 'duplicateImage',
        file,
        at: `${at}.file_name`,
        message: `'${img.file_name}' is listed twice`,
        image: img.file_name,
      });
    }
    const item: ImportItem = normalized
      ? { ref: img.file_name, at, file, fractions: [] }
      : { ref: img.file_name, at, file, declared: { width: img.width, height: img.height }, pixels: [] };
    if (!byId.has(img.id)) byId.set(img.id, item);
    names.add(img.file_name);
    items.push(item);
  });
  return { byId, items };
}

/**
 * The image and label an annotation or detection refers to, logging each reference that resolves to nothing
 * (`at`: where the element is, e.g. `annotations.3`); undefined when either is missing.
 */
export function resolveReferences(
  at: string,
  imageId: number,
  categoryId: number,
  byId: ReadonlyMap<number, ImportItem>,
  categoryNames: ReadonlyMap<number, string>,
  log: IssueLog,
): { image: ImportItem; label: string } | undefined {
  const image = byId.get(imageId);
  const label = categoryNames.get(categoryId);
  if (!image)
    log.add({ kind: 'unknownImage', file: 'source', at: `${at}.image_id`, message: `no image has id ${imageId}` });
  if (label === undefined) {
    log.add({
      kind: 'unknownCategory',
      file: 'source',
      at: `${at}.category_id`,
      message: `no category has id ${categoryId}`,
    });
  }
  return image && label !== undefined ? { image, label } : undefined;
}

/** A COCO dataset: its annotations become each image's boxes; an image without annotations has none. */
export function readCoco(doc: unknown, log: IssueLog): ReadItems {
  const parsed = cocoImportDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    log.addZod('source', parsed.error);
    return { items: [], crowdIgnored: 0 };
  }
  const { images, annotations, categories } = parsed.data;
  const categoryNames = indexCategories(categories, 'source', log);
  const normalized = isNormalizedCoco(images);
  const { byId, items } = indexImages(images, 'source', log, normalized);
  const annotationIds = new Set<number>();
  let crowdIgnored = 0;
  annotations.forEach((a, i) => {
    const at = `annotations.${i}`;
    if (annotationIds.has(a.id))
      log.add({ kind: 'duplicateId', file: 'source', at: `${at}.id`, message: `id ${a.id} repeats` });
    annotationIds.add(a.id);
    const found = resolveReferences(at, a.image_id, a.category_id, byId, categoryNames, log);
    if (!found) return;
    const { image, label } = found;
    if (a.iscrowd === 1) {
      crowdIgnored++;
      return;
    }
    const [x, y, width, height] = a.bbox;
    if (normalized) image.fractions!.push({ at, box: normalizedCocoBox(label, x, y, width, height) });
    else image.pixels!.push({ at, box: { label, x, y, width, height } });
  });
  return { items, crowdIgnored };
}

/**
 * A COCO results file and the dataset its ids refer to: every image of the dataset is an item (one the model
 * found nothing on has no boxes), each detection a scored box.
 */
export function readCocoResults(results: unknown, reference: unknown, log: IssueLog): ReadItems {
  const ref = cocoResultsReferenceSchema.safeParse(reference);
  const res = cocoResultsSchema.safeParse(results);
  if (!ref.success) log.addZod('dataset', ref.error);
  if (!res.success) log.addZod('source', res.error);
  if (!ref.success || !res.success) return { items: [], crowdIgnored: 0 };
  const categoryNames = indexCategories(ref.data.categories, 'dataset', log);
  const { byId, items } = indexImages(ref.data.images, 'dataset', log);
  res.data.forEach((d, i) => {
    const found = resolveReferences(String(i), d.image_id, d.category_id, byId, categoryNames, log);
    if (!found) return;
    const { image, label } = found;
    const [x, y, width, height] = d.bbox;
    image.pixels!.push({ at: String(i), box: { label, x, y, width, height, score: d.score } });
  });
  return { items, crowdIgnored: 0 };
}

/** Azure ML JSONL text: one image per non-blank line. */
export function readAzureMlJsonl(text: string, log: IssueLog): ReadItems {
  const scan = new JsonlScan(log);
  text.split(/\r?\n/).forEach((raw, i) => scan.line(raw, i + 1));
  const scanned = scan.finish();
  return { items: new GroupedBoxes(scanned).itemsFor(0, scanned.images.length), crowdIgnored: scanned.crowdIgnored };
}
