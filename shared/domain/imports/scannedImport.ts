import type { NormalizedBox } from '../normalizedBox';
import type { Box } from '../task';
import type { ImportItem, Located } from './importItems';

/**
 * A whole import file read into compact form: its images (one small record each) and every box in typed-array
 * columns, grouped by image once reading is done. COCO train2017 is 860,001 annotations: as objects with their `at`
 * strings they take hundreds of megabytes, as columns about 60 MB. Items with their boxes are built only for the
 * images being planned at the moment (`itemsFor`).
 */

/** A Float64Array that grows. */
class Column {
  data: Float64Array;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  grow(capacity: number) {
    const next = new Float64Array(capacity);
    next.set(this.data);
    this.data = next;
  }
}

/** Rows of numbers as columns (`keys` fixed at construction), growing as rows are added. */
export class NumberColumns<K extends string> {
  #length = 0;
  #capacity = 1024;
  readonly #keys: readonly K[];
  readonly #cols: Record<K, Column>;

  constructor(keys: readonly K[]) {
    this.#keys = keys;
    this.#cols = Object.fromEntries(keys.map((k) => [k, new Column(this.#capacity)])) as Record<K, Column>;
  }

  get length(): number {
    return this.#length;
  }

  add(row: Record<K, number>): void {
    if (this.#length === this.#capacity) {
      this.#capacity *= 2;
      for (const k of this.#keys) this.#cols[k].grow(this.#capacity);
    }
    const i = this.#length++;
    for (const k of this.#keys) this.#cols[k].data[i] = row[k];
  }

  value(i: number, key: K): number {
    return this.#cols[key].data[i]!;
  }
}

const columns = ['image', 'a', 'b', 'c', 'd', 'score', 'label', 'atA', 'atB'] as const;
type ColumnName = (typeof columns)[number];

export interface BoxRow {
  /** Index of the image in the scan's item list. */
  image: number;
  /** Pixels: x, y, width, height; fractions: topX, topY, bottomX, bottomY. */
  a: number;
  b: number;
  c: number;
  d: number;
  score?: number;
  label: string;
  /** Where the box is in its file, in the two numbers the format's `at` is made of. */
  atA: number;
  atB?: number;
}

/** Boxes as columns; labels interned (a file has a few dozen names and a million boxes). */
export class BoxTable {
  #length = 0;
  #capacity = 1024;
  readonly #cols = Object.fromEntries(columns.map((c) => [c, new Column(1024)])) as Record<ColumnName, Column>;
  readonly #labels: string[] = [];
  readonly #labelIds = new Map<string, number>();

  get length(): number {
    return this.#length;
  }

  add(row: BoxRow): void {
    if (this.#length === this.#capacity) {
      this.#capacity *= 2;
      for (const c of columns) this.#cols[c].grow(this.#capacity);
    }
    let label = this.#labelIds.get(row.label);
    if (label === undefined) {
      label = this.#labels.length;
      this.#labels.push(row.label);
      this.#labelIds.set(row.label, label);
    }
    const i = this.#length++;
    const c = this.#cols;
    c.image.data[i] = row.image;
    c.a.data[i] = row.a;
    c.b.data[i] = row.b;
    c.c.data[i] = row.c;
    c.d.data[i] = row.d;
    c.score.data[i] = row.score ?? Number.NaN;
    c.label.data[i] = label;
    c.atA.data[i] = row.atA;
    c.atB.data[i] = row.atB ?? -1;
  }

  get(i: number): BoxRow {
    const c = this.#cols;
    const score = c.score.data[i]!;
    const atB = c.atB.data[i]!;
    return {
      image: c.image.data[i]!,
      a: c.a.data[i]!,
      b: c.b.data[i]!,
      c: c.c.data[i]!,
      d: c.d.data[i]!,
      ...(Number.isNaN(score) ? {} : { score }),
      label: this.#labels[c.label.data[i]!]!,
      atA: c.atA.data[i]!,
      ...(atB >= 0 ? { atB } : {}),
    };
  }

  imageOf(i: number): number {
    return this.#cols.image.data[i]!;
  }
}

export interface ScannedImport {
  /** Images in file order, without their boxes (`pixels` / `fractions` filled by `itemsFor`). */
  images: ImportItem[];
  units: 'pixels' | 'fractions';
  boxes: BoxTable;
  /** A box's place in its file from its `atA` / `atB`. */
  at(row: BoxRow): string;
  crowdIgnored: number;
}

/** Box indices grouped by image (a stable counting sort: each image's boxes stay in file order). */
export class GroupedBoxes {
  readonly #scan: ScannedImport;
  readonly #starts: Int32Array;
  readonly #order: Int32Array;

  constructor(scan: ScannedImport) {
    this.#scan = scan;
    const n = scan.images.length;
    const { boxes } = scan;
    const starts = new Int32Array(n + 1);
    for (let i = 0; i < boxes.length; i++) starts[boxes.imageOf(i) + 1]!++;
    for (let i = 0; i < n; i++) starts[i + 1]! += starts[i]!;
    const next = starts.slice(0, n);
    const order = new Int32Array(boxes.length);
    for (let i = 0; i < boxes.length; i++) order[next[boxes.imageOf(i)]!++] = i;
    this.#starts = starts;
    this.#order = order;
  }

  /** Images `start` to `end` (exclusive) with their boxes, as the planner takes them. */
  itemsFor(start: number, end: number): ImportItem[] {
    const scan = this.#scan;
    const out: ImportItem[] = [];
    for (let i = start; i < Math.min(end, scan.images.length); i++) {
      const { pixels: _p, fractions: _f, ...head } = scan.images[i]!;
      const rows: BoxRow[] = [];
      for (let k = this.#starts[i]!; k < this.#starts[i + 1]!; k++) rows.push(scan.boxes.get(this.#order[k]!));
      if (scan.units === 'pixels') {
        const pixels: Array<Located<Box>> = rows.map((r) => ({
          at: scan.at(r),
          box: {
            label: r.label,
            x: r.a,
            y: r.b,
            width: r.c,
            height: r.d,
            ...(r.score !== undefined ? { score: r.score } : {}),
          },
        }));
        out.push({ ...head, pixels });
      } else {
        const fractions: Array<Located<NormalizedBox>> = rows.map((r) => ({
          at: scan.at(r),
          box: { label: r.label, topX: r.a, topY: r.b, bottomX: r.c, bottomY: r.d },
        }));
        out.push({ ...head, fractions });
      }
    }
    return out;
  }
}
