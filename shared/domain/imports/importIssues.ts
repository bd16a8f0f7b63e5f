import type { ZodError } from 'zod';

/**
 * What can be wrong with an import, item by item. Any issue refuses the whole import (nothing is written): a file
 * that names images the project does not have, or labels it does not know, was made for something else, and half
 * of it applied would be worse than none.
 */
export const importIssueKinds = [
  /** The file does not have the format's shape (wrong types, missing members, not JSON). */
  'invalid',
  /** Two images, annotations or categories share an id (or two categories a name). */
  'duplicateId',
  /** Two entries name the same image. */
  'duplicateImage',
  /** An annotation or detection refers to an image id the file does not list. */
  'unknownImage',
  /** A category id the file does not list, or a category name that is not one of the project's labels. */
  'unknownCategory',
  /** No task in the project for this image (not in the dataset, deleted, or not a usable image). */
  'missingImage',
  /** The file's width and height for an image differ from the image's own. */
  'sizeMismatch',
  /** The project does not know the image's size, so fractions cannot become pixels. */
  'sizeUnknown',
  /** A box extends past the image's edge (by more than the 1 px tolerance labels have). */
  'outOfImage',
  /** More boxes on one image than a task may hold. */
  'tooManyBoxes',
] as const;
export type ImportIssueKind = (typeof importIssueKinds)[number];

export interface ImportIssue {
  kind: ImportIssueKind;
  /** Which document: the file imported (`source`) or, for COCO results, the dataset its ids refer to. */
  file: 'source' | 'dataset';
  /** Where in that document, as a dotted path (`images.3.width`, `annotations.12.bbox`, `line 4.label.0.topX`). */
  at: string;
  message: string;
  /** The image's file name or URL, when the issue is about one image. */
  image?: string;
}

/** Items listed in a report; the counts cover every issue. */
export const maxReportedItems = 100;

export interface IssueSummary {
  count: number;
  byKind: Partial<Record<ImportIssueKind, number>>;
  /** The first `maxReportedItems` issues, in file order. */
  items: ImportIssue[];
  /** Label names the file uses that the project does not have, with how many boxes carry each. */
  unknownLabels?: Record<string, number>;
}

/** Collects issues, keeping every count but only the first items (a hostile file can hold millions). */
export class IssueLog {
  readonly summary: IssueSummary = { count: 0, byKind: {}, items: [] };

  add(issue: ImportIssue): void {
    this.summary.count++;
    this.summary.byKind[issue.kind] = (this.summary.byKind[issue.kind] ?? 0) + 1;
    if (this.summary.items.length < maxReportedItems) this.summary.items.push(issue);
  }

  /** A box labeled `name`, which the project does not know (summed per name: a file may hold many). */
  addUnknownLabel(name: string, issue: ImportIssue): void {
    // No prototype: a label named `__proto__` is just a name here.
    const counts = (this.summary.unknownLabels ??= Object.create(null) as Record<string, number>);
    counts[name] = (counts[name] ?? 0) + 1;
    this.add(issue);
  }

  /** Another log's issues after these (a streamed file checks its sections apart, reports them in schema order). */
  append(other: IssueLog): void {
    const { summary } = other;
    this.summary.count += summary.count;
    for (const [kind, n] of Object.entries(summary.byKind) as Array<[ImportIssueKind, number]>) {
      this.summary.byKind[kind] = (this.summary.byKind[kind] ?? 0) + n;
    }
    for (const item of summary.items) {
      if (this.summary.items.length < maxReportedItems) this.summary.items.push(item);
    }
    if (summary.unknownLabels) {
      const counts = (this.summary.unknownLabels ??= Object.create(null) as Record<string, number>);
      for (const [name, n] of Object.entries(summary.unknownLabels)) counts[name] = (counts[name] ?? 0) + n;
    }
  }

  get empty(): boolean {
    return this.summary.count === 0;
  }

  /** One `invalid` issue per zod issue, at its path below `prefix` (e.g. `line 4`). */
  addZod(file: ImportIssue['file'], error: ZodError, prefix?: string): void {
    for (const issue of error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      for (const key of keys) {
        const path = [...(prefix !== undefined ? [prefix] : []), ...issue.path.map(String), ...(key ? [key] : [])];
        this.add({ kind: 'invalid', file, at: path.join('.') || '(document)', message: issue.message });
      }
    }
  }
}
