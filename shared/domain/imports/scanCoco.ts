import type { z } from 'zod';
import {
  cocoImportAnnotationSchema,
  cocoImportCategorySchema,
  cocoImportImageSchema,
  cocoResultSchema,
  maxImportBoxes,
  maxImportCategories,
  maxImportImages,
  type CocoImportCategory,
  type CocoImportImage,
} from '../formats/cocoImport';
import { IssueLog, type ImportIssue } from './importIssues';
import { indexCategories, indexImages, isNormalizedCoco, normalizedCocoBox, resolveReferences } from './importItems';
import type { JsonSections, SectionSink, SectionsLayout } from './jsonSections';
import { BoxTable, NumberColumns, type ColumnKind, type ScannedImport } from './scannedImport';

/**
 * COCO documents read element by element (see jsonSections.ts), with the checks and the issue report of
 * `readCoco` / `readCocoResults` (importItems.ts): each element is checked against the same zod schemas as it
 * arrives; the cross-references (ids, categories, which may come after the annotations) are checked at the end,
 * from compact columns. Any shape issue reports the shape issues only, as the whole-document parse does.
 */

type File = ImportIssue['file'];

/** One array of a document: each element checked by its schema, issues at `<prefix><index>.<path>`. */
class SectionCheck<T> {
  readonly log = new IssueLog();
  count = 0;
  constructor(
    private readonly file: File,
    private readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly max: number,
    private readonly tooMany: string,
    private readonly keep: (value: T, index: number) => void,
  ) {}

  element(index: number, value: unknown): void {
    this.count++;
    const parsed = this.schema.safeParse(value);
    const at = this.path === '' ? String(index) : `${this.path}.${index}`;
    if (!parsed.success) this.log.addZod(this.file, parsed.error, at);
    // Past the cap nothing more is kept (memory stays bounded by the cap); the issue is added at the end.
    else if (index < this.max && this.log.empty) this.keep(parsed.data, index);
  }

  notArray(): void {
    this.log.add({ kind: 'invalid', file: this.file, at: this.path || '(document)', message: 'must be an array' });
  }

  /** Adds the cap's issue; true when the section has no issue. */
  settle(): boolean {
    if (this.count > this.max) {
      this.log.add({ kind: 'invalid', file: this.file, at: this.path || '(document)', message: this.tooMany });
    }
    return this.log.empty;
  }
}

const annotationColumns = {
  id: 'f64',
  imageId: 'f64',
  categoryId: 'f64',
  x: 'f64',
  y: 'f64',
  width: 'f64',
  height: 'f64',
  crowd: 'u8',
} as const satisfies Record<string, ColumnKind>;

const detectionColumns = {
  imageId: 'f64',
  categoryId: 'f64',
  x: 'f64',
  y: 'f64',
  width: 'f64',
  height: 'f64',
  score: 'f64',
} as const satisfies Record<string, ColumnKind>;

/**
 * A COCO dataset (`withAnnotations`) or the dataset a results file refers to (images and categories only; its
 * annotations, if any, are stepped over unread).
 */
export class CocoDocumentScan {
  readonly layout: SectionsLayout;
  readonly images: CocoImportImage[] = [];
  readonly categories: CocoImportCategory[] = [];
  readonly annotations = new NumberColumns(annotationColumns);
  readonly #sections: Record<string, SectionCheck<unknown>>;
  readonly #file: File;

  constructor(file: File, withAnnotations: boolean) {
    this.#file = file;
    const sections: Record<string, SectionCheck<unknown>> = {
      images: new SectionCheck(
        file,
        'images',
        cocoImportImageSchema,
        maxImportImages,
        `at most ${maxImportImages} images per import: import a larger dataset in parts`,
        (v) => this.images.push({ id: v.id, file_name: v.file_name, width: v.width, height: v.height }),
      ) as SectionCheck<unknown>,
    };
    if (withAnnotations) {
      sections.annotations = new SectionCheck(
        file,
        'annotations',
        cocoImportAnnotationSchema,
        maxImportBoxes,
        `at most ${maxImportBoxes} annotations per import`,
        (a) => {
          const [x, y, width, height] = a.bbox;
          this.annotations.add({
            id: a.id,
            imageId: a.image_id,
            categoryId: a.category_id,
            x,
            y,
            width,
            height,
            crowd: a.iscrowd === 1 ? 1 : 0,
          });
        },
      ) as SectionCheck<unknown>;
    }
    sections.categories = new SectionCheck(
      file,
      'categories',
      cocoImportCategorySchema,
      maxImportCategories,
      `Too big: expected array to have <=${maxImportCategories} items`,
      (c) => this.categories.push({ id: c.id, name: c.name }),
    ) as SectionCheck<unknown>;
    this.#sections = sections;
    this.layout = {
      root: 'object',
      sections: Object.keys(sections),
      ...(withAnnotations ? { skip: { annotations: ['segmentation'] } } : {}),
    };
  }

  readonly sink: SectionSink = {
    element: (section, index, value) => this.#sections[section]!.element(index, value),
    notArray: (section) => this.#sections[section]!.notArray(),
  };

  /** The shape issues, in the schema's order (images, annotations, categories); true when there are none. */
  settle(read: JsonSections, log: IssueLog): boolean {
    if (read.rootType !== 'object') {
      log.add({
        kind: 'invalid',
        file: this.#file,
        at: '(document)',
        message: `Invalid input: expected object, received ${read.rootType ?? 'nothing'}`,
      });
      return false;
    }
    let ok = true;
    for (const [name, check] of Object.entries(this.#sections)) {
      if (!read.seen.has(name)) check.notArray();
      if (!check.settle()) ok = false;
      log.append(check.log);
    }
    return ok;
  }
}

/** A COCO dataset's images with their annotations' boxes, after `readCoco`'s checks (null: it has issues). */
export function scannedCoco(doc: CocoDocumentScan, read: JsonSections, log: IssueLog): ScannedImport | null {
  if (!doc.settle(read, log)) return null;
  const categoryNames = indexCategories(doc.categories, 'source', log);
  const normalized = isNormalizedCoco(doc.images);
  const { byId, items } = indexImages(doc.images, 'source', log, normalized);
  const indexOf = new Map<unknown, number>();
  items.forEach((item, i) => indexOf.set(item, i));
  const ann = doc.annotations;
  const repeats = ann.repeats('id');
  const boxes = new BoxTable(ann.length);
  let crowdIgnored = 0;
  for (let i = 0; i < ann.length; i++) {
    const at = `annotations.${i}`;
    const id = ann.value(i, 'id');
    if (repeats[i]) log.add({ kind: 'duplicateId', file: 'source', at: `${at}.id`, message: `id ${id} repeats` });
    const found = resolveReferences(at, ann.value(i, 'imageId'), ann.value(i, 'categoryId'), byId, categoryNames, log);
    if (!found) continue;
    const { image, label } = found;
    if (ann.value(i, 'crowd') === 1) {
      crowdIgnored++;
      continue;
    }
    const [x, y, width, height] = [ann.value(i, 'x'), ann.value(i, 'y'), ann.value(i, 'width'), ann.value(i, 'height')];
    // Fractions are kept as the corners the planner places (BoxRow), pixels as COCO has them.
    const box = normalized ? normalizedCocoBox(label, x, y, width, height) : undefined;
    boxes.add({
      image: indexOf.get(image)!,
      a: box ? box.topX : x,
      b: box ? box.topY : y,
      c: box ? box.bottomX : width,
      d: box ? box.bottomY : height,
      label,
      atA: i,
    });
  }
  return {
    images: items,
    units: normalized ? 'fractions' : 'pixels',
    boxes,
    at: (r) => `annotations.${r.atA}`,
    crowdIgnored,
  };
}

/** The detections of a COCO results file (the document is the array). */
export class CocoResultsScan {
  readonly layout: SectionsLayout = { root: 'array', sections: [''] };
  readonly detections = new NumberColumns(detectionColumns);
  readonly #check = new SectionCheck(
    'source',
    '',
    cocoResultSchema,
    maxImportBoxes,
    `at most ${maxImportBoxes} detections per import`,
    (d) => {
      const [x, y, width, height] = d.bbox;
      this.detections.add({
        imageId: d.image_id,
        categoryId: d.category_id,
        x,
        y,
        width,
        height,
        score: d.score,
      });
    },
  );

  readonly sink: SectionSink = {
    element: (_section, index, value) => this.#check.element(index, value),
    notArray: () => this.#check.notArray(),
  };

  settle(read: JsonSections, log: IssueLog): boolean {
    if (read.rootType !== 'array') this.#check.notArray();
    const ok = this.#check.settle();
    log.append(this.#check.log);
    return ok;
  }
}

/** A results file's detections on its dataset's images, after `readCocoResults`'s checks (null: it has issues). */
export function scannedCocoResults(
  results: CocoResultsScan,
  resultsRead: JsonSections,
  dataset: CocoDocumentScan,
  datasetRead: JsonSections,
  log: IssueLog,
): ScannedImport | null {
  const datasetOk = dataset.settle(datasetRead, log);
  const resultsOk = results.settle(resultsRead, log);
  if (!datasetOk || !resultsOk) return null;
  const categoryNames = indexCategories(dataset.categories, 'dataset', log);
  const { byId, items } = indexImages(dataset.images, 'dataset', log);
  const indexOf = new Map<unknown, number>();
  items.forEach((item, i) => indexOf.set(item, i));
  const det = results.detections;
  const boxes = new BoxTable(det.length);
  for (let i = 0; i < det.length; i++) {
    const found = resolveReferences(
      String(i),
      det.value(i, 'imageId'),
      det.value(i, 'categoryId'),
      byId,
      categoryNames,
      log,
    );
    if (!found) continue;
    const { image, label } = found;
    boxes.add({
      image: indexOf.get(image)!,
      a: det.value(i, 'x'),
      b: det.value(i, 'y'),
      c: det.value(i, 'width'),
      d: det.value(i, 'height'),
      score: det.value(i, 'score'),
      label,
      atA: i,
    });
  }
  return { images: items, units: 'pixels', boxes, at: (r) => String(r.atA), crowdIgnored: 0 };
}
