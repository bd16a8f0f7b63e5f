import type { NormalizedBox } from '../normalizedBox';
import type { Box } from '../task';
import type { ImportItem, Located } from './importItems';

/**
 * A whole import file read into compact form: its images (one small record each) and every box in typed-array
 * columns, grouped by image once reading is done. COCO train2017 is 860,001 annotations: as objects with their `at`
 * strings they take hundreds of megabytes, as columns about 50 MB (and as many for the annotations as read, kept
 * until the categories are known). Items with their boxes are built only for the images being planned at the
 * moment (`itemsFor`).
 */

/** The typed array a column is kept in: doubles for ids and coordinates, 32-bit integers for indices, bytes for flags. */
export type ColumnKind = 'f64' | 'i32' | 'u8';
type Typed = Float64Array | Int32Array | Uint8Array;
const makers: Record<ColumnKind, (n: number) => Typed> = {
  f64: (n) => new Float64Array(n),
  i32: (n) => new Int32Array(n),
  u8: (n) => new Uint8Array(n),
};

/** Rows of numbers as columns (`spec` fixed at construction), growing by half as rows are added. */
export class NumberColumns<K extends string> {
  #length = 0;
  #capacity = 1024;
  readonly #spec: Readonly<Record<K, ColumnKind>>;
  readonly #keys: K[];
  readonly #cols: Record<K, Typed>;

  /** `capacity`: rows expected, when known (no growing, so no old and new copy at once). */
  constructor(spec: Readonly<Record<K, ColumnKind>>, capacity = 1024) {
    this.#capacity = Math.max(1, capacity);
    this.#spec = spec;
    this.#keys = Object.keys(spec) as K[];
    this.#cols = Object.fromEntries(this.#keys.map((k) => [k, makers[spec[k]](this.#capacity)])) as Record<K, Typed>;
  }

  get length(): number {
    return this.#length;
  }

  add(row: Record<K, number>): void {
    if (this.#length === this.#capacity) {
      this.#capacity = Math.ceil(this.#capacity * 1.5);
      for (const k of this.#keys) {
        const next = makers[this.#spec[k]](this.#capacity);
        next.set(this.#cols[k]);
        this.#cols[k] = next;
      }
    }
    const i = this.#length++;
    for (const k of this.#keys) this.#cols[k][i] = row[k];
  }

  value(i: number, key: K): number {
    return this.#cols[key][i]!;
  }

  /** Row indices whose `key` repeats one in an earlier row (a sort, not a set: a million ids as a Set is ~40 MB). */
  repeats(key: K): Uint8Array {
    const values = this.#cols[key];
    const order = new Int32Array(this.#length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => values[a]! - values[b]! || a - b);
    const repeat = new Uint8Array(this.#length);
    for (let j = 1; j < order.length; j++) {
      if (values[order[j]!] === values[order[j - 1]!]) repeat[order[j]!] = 1;
    }
    return repeat;
  }
}

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

const boxColumns = {
  image: 'i32',
  a: 'f64',
  b: 'f64',
  c: 'f64',
  d: 'f64',
  label: 'i32',
  atA: 'i32',
  atB: 'i32',
} as const satisfies Record<string, ColumnKind>;

/** Boxes as columns; labels interned (a file has a few dozen names and a million boxes); scores only if any. */
export class BoxTable {
  readonly #rows: NumberColumns<keyof typeof boxColumns>;
  #scores: NumberColumns<'score'> | undefined;
  readonly #labels: string[] = [];
  readonly #labelIds = new Map<string, number>();

  /** `capacity`: at most this many boxes (the annotations read), when known. */
  constructor(capacity?: number) {
    this.#rows = new NumberColumns(boxColumns, capacity);
  }

  get length(): number {
    return this.#rows.length;
  }

  add(row: BoxRow): void {
    let label = this.#labelIds.get(row.label);
    if (label === undefined) {
      label = this.#labels.length;
      this.#labels.push(row.label);
      this.#labelIds.set(row.label, label);
    }
    if (row.score !== undefined && !this.#scores) {
      this.#scores = new NumberColumns({ score: 'f64' });
      for (let i = 0; i < this.#rows.length; i++) this.#scores.add({ score: Number.NaN });
    }
    this.#scores?.add({ score: row.score ?? Number.NaN });
    const { image, a, b, c, d, atA } = row;
    this.#rows.add({ image, a, b, c, d, label, atA, atB: row.atB ?? -1 });
  }

  get(i: number): BoxRow {
    const r = this.#rows;
    const score = this.#scores?.value(i, 'score') ?? Number.NaN;
    const atB = r.value(i, 'atB');
    return {
      image: r.value(i, 'image'),
      a: r.value(i, 'a'),
      b: r.value(i, 'b'),
      c: r.value(i, 'c'),
      d: r.value(i, 'd'),
      ...(Number.isNaN(score) ? {} : { score }),
      label: this.#labels[r.value(i, 'label')]!,
      atA: r.value(i, 'atA'),
      ...(atB >= 0 ? { atB } : {}),
    };
  }

  imageOf(i: number): number {
    return this.#rows.value(i, 'image');
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
