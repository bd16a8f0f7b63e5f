// Independent checks of each export format's invariants, written from the formats' specifications (COCO's data
// format, Azure ML AutoML's JSONL schema, Ultralytics' YOLO layout, RFC 4180 CSV), not from the app's writers:
// ids unique, references resolve, boxes inside their images, areas consistent, fractions in [0, 1]. Each returns
// what it read, boxes per image, so tests can compare with what labelers submitted.

export interface PixelBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FractionBox {
  label: string;
  topX: number;
  topY: number;
  bottomX: number;
  bottomY: number;
}

const eps = 1e-6;

function fail(what: string): never {
  throw new Error(`invalid export: ${what}`);
}

function check(condition: boolean, what: string): void {
  if (!condition) fail(what);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const inUnit = (v: unknown) => isFinite(v) && v >= -eps && v <= 1 + eps;

export interface CocoContent {
  categories: string[];
  /** file_name → boxes in pixels (an image with no annotations has []). */
  images: Map<string, { width: number; height: number; boxes: PixelBox[] }>;
}

export function validateCoco(text: string): CocoContent {
  const doc = JSON.parse(text) as unknown;
  check(isObject(doc), 'COCO: not a JSON object');
  const d = doc as Record<string, unknown>;
  check(isObject(d.info), 'COCO: info missing');
  check(Array.isArray(d.licenses), 'COCO: licenses missing');
  for (const key of ['images', 'annotations', 'categories']) check(Array.isArray(d[key]), `COCO: ${key} not an array`);

  const categories = new Map<number, string>();
  for (const c of d.categories as unknown[]) {
    check(isObject(c) && isPositiveInt(c.id) && typeof c.name === 'string' && c.name !== '', 'COCO: bad category');
    const cat = c as { id: number; name: string };
    check(!categories.has(cat.id), `COCO: category id ${cat.id} twice`);
    check(![...categories.values()].includes(cat.name), `COCO: category name ${cat.name} twice`);
    categories.set(cat.id, cat.name);
  }

  const images = new Map<number, { file: string; width: number; height: number; boxes: PixelBox[] }>();
  const files = new Set<string>();
  for (const i of d.images as unknown[]) {
    check(isObject(i), 'COCO: image not an object');
    const img = i as Record<string, unknown>;
    check(isPositiveInt(img.id), `COCO: image id ${String(img.id)} not a positive integer`);
    check(typeof img.file_name === 'string' && img.file_name !== '', 'COCO: image without file_name');
    check(isPositiveInt(img.width) && isPositiveInt(img.height), `COCO: image ${String(img.id)} without size`);
    check(!images.has(img.id as number), `COCO: image id ${String(img.id)} twice`);
    check(!files.has(img.file_name as string), `COCO: file_name ${String(img.file_name)} twice`);
    files.add(img.file_name as string);
    images.set(img.id as number, {
      file: img.file_name as string,
      width: img.width as number,
      height: img.height as number,
      boxes: [],
    });
  }

  const annotationIds = new Set<number>();
  for (const a of d.annotations as unknown[]) {
    check(isObject(a), 'COCO: annotation not an object');
    const ann = a as Record<string, unknown>;
    check(isPositiveInt(ann.id), `COCO: annotation id ${String(ann.id)}`);
    check(!annotationIds.has(ann.id as number), `COCO: annotation id ${String(ann.id)} twice`);
    annotationIds.add(ann.id as number);
    const image = images.get(ann.image_id as number);
    check(image !== undefined, `COCO: annotation ${String(ann.id)} names unknown image ${String(ann.image_id)}`);
    const label = categories.get(ann.category_id as number);
    check(label !== undefined, `COCO: annotation ${String(ann.id)} names unknown category ${String(ann.category_id)}`);
    check(Array.isArray(ann.bbox) && ann.bbox.length === 4 && ann.bbox.every(isFinite), 'COCO: bbox not 4 numbers');
    const [x, y, w, h] = ann.bbox as number[];
    check(w! > 0 && h! > 0, `COCO: annotation ${String(ann.id)} has no extent`);
    check(
      x! >= -eps && y! >= -eps && x! + w! <= image!.width + eps && y! + h! <= image!.height + eps,
      `COCO: annotation ${String(ann.id)} lies outside its ${image!.width}×${image!.height} image`,
    );
    check(
      isFinite(ann.area) && Math.abs((ann.area as number) - w! * h!) <= 1e-6 * Math.max(1, w! * h!),
      'COCO: area ≠ w×h',
    );
    check(ann.iscrowd === 0, 'COCO: iscrowd not 0');
    image!.boxes.push({ label: label!, x: x!, y: y!, width: w!, height: h! });
  }
  return {
    categories: [...categories.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n),
    images: new Map([...images.values()].map((i) => [i.file, { width: i.width, height: i.height, boxes: i.boxes }])),
  };
}

function checkFractionBox(b: unknown, labels: ReadonlySet<string>, where: string): FractionBox {
  check(isObject(b), `${where}: box not an object`);
  const box = b as Record<string, unknown>;
  check(typeof box.label === 'string' && labels.has(box.label), `${where}: unknown label ${String(box.label)}`);
  for (const k of ['topX', 'topY', 'bottomX', 'bottomY']) check(inUnit(box[k]), `${where}: ${k} outside [0, 1]`);
  check((box.topX as number) < (box.bottomX as number), `${where}: topX ≥ bottomX`);
  check((box.topY as number) < (box.bottomY as number), `${where}: topY ≥ bottomY`);
  return box as unknown as FractionBox;
}

/** Azure ML AutoML object detection JSONL: image_url, image_details {format, width, height}, label boxes. */
export function validateAzureMlJsonl(text: string, labels: readonly string[]): Map<string, FractionBox[]> {
  const known = new Set(labels);
  const lines = new Map<string, FractionBox[]>();
  check(text === '' || text.endsWith('\n'), 'JSONL: last line not terminated');
  for (const [n, raw] of text.split('\n').slice(0, -1).entries()) {
    const line = JSON.parse(raw) as Record<string, unknown>;
    const where = `JSONL line ${n + 1}`;
    check(typeof line.image_url === 'string' && line.image_url.startsWith('azureml://'), `${where}: image_url`);
    check(!lines.has(line.image_url as string), `${where}: image_url twice`);
    const details = line.image_details as Record<string, unknown>;
    check(isObject(details) && typeof details.format === 'string', `${where}: image_details.format`);
    check(isPositiveInt(details.width) && isPositiveInt(details.height), `${where}: image size`);
    check(Array.isArray(line.label), `${where}: label not an array`);
    const boxes = (line.label as unknown[]).map((b) => {
      check(isObject(b) && b.isCrowd === 0, `${where}: isCrowd`);
      return checkFractionBox(b, known, where);
    });
    lines.set(line.image_url as string, boxes);
  }
  return lines;
}

/**
 * The MLTable beside the JSONL: reads that file as JSON lines, image_url as a stream (what AutoML needs). Read as
 * lines (no YAML library is a dependency of this repository): the file is small and its layout fixed by Azure ML's docs.
 */
export function validateMlTable(text: string, jsonlFile: string): void {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  check(at(/^paths:$/) === 0, 'MLTable: paths first');
  check(lines[1]?.trim() === `- file: ./${jsonlFile}`, 'MLTable: paths does not name the JSONL');
  check(at(/^transformations:$/) > 0, 'MLTable: no transformations');
  check(at(/^\s+- read_json_lines:$/) > 0, 'MLTable: no read_json_lines');
  const column = at(/^\s+- columns: image_url$/);
  check(column > 0 && lines[column + 1]?.trim() === 'column_type: stream_info', 'MLTable: image_url not a stream');
}

/**
 * The YAML subset of an Ultralytics data.yaml: `key: value` lines, and `names:` followed by indented `id: name`
 * lines; names may be JSON-style double-quoted scalars (valid YAML).
 */
function parseDataYaml(text: string): { train?: string; val?: string; path?: string; names?: Record<number, string> } {
  const out: Record<string, unknown> = {};
  let names: Record<number, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || line.trimStart().startsWith('#')) continue;
    const nested = /^\s+(\d+):\s*(.*)$/.exec(line);
    if (nested && names) {
      const value = nested[2]!;
      names[Number(nested[1])] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
      continue;
    }
    const top = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    check(top !== null, `YOLO data.yaml: cannot read line ${JSON.stringify(line)}`);
    if (top![1] === 'names' && top![2] === '') out.names = names = {};
    else {
      out[top![1]!] = top![2];
      names = undefined;
    }
  }
  return out;
}

/** RFC 4180 fields, quoted or not; rows end with CRLF (LF accepted). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  check(!quoted, 'CSV: unterminated quote');
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Azure ML Data Labeling CSV: `Url,Label`, the label a JSON list of boxes as fractions. */
export function validateCsv(text: string, labels: readonly string[]): Map<string, FractionBox[]> {
  const known = new Set(labels);
  const [header, ...rows] = parseCsv(text);
  check(JSON.stringify(header) === JSON.stringify(['Url', 'Label']), `CSV: header ${JSON.stringify(header)}`);
  const byUrl = new Map<string, FractionBox[]>();
  rows.forEach((r, n) => {
    check(r.length === 2, `CSV row ${n + 2}: ${r.length} fields`);
    check(!byUrl.has(r[0]!), `CSV row ${n + 2}: Url twice`);
    const boxes = JSON.parse(r[1]!) as unknown[];
    check(Array.isArray(boxes), `CSV row ${n + 2}: Label not a list`);
    byUrl.set(
      r[0]!,
      boxes.map((b) => checkFractionBox(b, known, `CSV row ${n + 2}`)),
    );
  });
  return byUrl;
}

/** Ultralytics' rule for an image's label file: the last /images/ becomes /labels/, the extension .txt. */
function labelFileOf(imagePath: string): string {
  const parts = imagePath.split('/images/');
  const swapped = parts.length > 1 ? `${parts.slice(0, -1).join('/images/')}/labels/${parts.at(-1)}` : imagePath;
  return swapped.replace(/\.[^./]*$/, '') + '.txt';
}

export interface YoloContent {
  names: string[];
  /** Image path (as the list names it) → boxes as fractions. */
  train: Map<string, FractionBox[]>;
  val: Map<string, FractionBox[]>;
}

/** data.yaml, the image lists it names, one label file per listed image with `class cx cy w h` lines in [0, 1]. */
export function validateYolo(read: (path: string) => string | undefined): YoloContent {
  const yaml = read('data.yaml');
  check(yaml !== undefined, 'YOLO: no data.yaml');
  const data = parseDataYaml(yaml!);
  check(typeof data.train === 'string' && typeof data.val === 'string', 'YOLO: train or val missing');
  check(isObject(data.names), 'YOLO: names not a mapping');
  const ids = Object.keys(data.names!).map(Number);
  check(
    ids.every((id, i) => id === i),
    'YOLO: class ids not 0…n-1',
  );
  const names = ids.map((i) => data.names![i]!);
  const listed = (file: string) => {
    const list = read(file);
    check(list !== undefined, `YOLO: ${file} missing`);
    const images = new Map<string, FractionBox[]>();
    for (const imagePath of list!.split('\n').filter((l) => l !== '')) {
      check(imagePath.startsWith('./images/'), `YOLO: ${imagePath} not under ./images/`);
      check(!images.has(imagePath), `YOLO: ${imagePath} listed twice`);
      const labelFile = labelFileOf(imagePath).replace(/^\.\//, '');
      const body = read(labelFile);
      check(body !== undefined, `YOLO: no label file ${labelFile}`);
      const boxes = body!
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const f = l.split(' ');
          check(f.length === 5, `YOLO: ${labelFile}: ${l}`);
          const [cls, cx, cy, w, h] = f.map(Number) as [number, number, number, number, number];
          check(Number.isInteger(cls) && cls >= 0 && cls < names.length, `YOLO: ${labelFile}: class ${f[0]}`);
          check([cx, cy, w, h].every(inUnit) && w > 0 && h > 0, `YOLO: ${labelFile}: ${l}`);
          const box = {
            label: names[cls]!,
            topX: cx - w / 2,
            topY: cy - h / 2,
            bottomX: cx + w / 2,
            bottomY: cy + h / 2,
          };
          check(
            [box.topX, box.topY, box.bottomX, box.bottomY].every(inUnit),
            `YOLO: ${labelFile}: box leaves the image`,
          );
          return box;
        });
      images.set(imagePath, boxes);
    }
    return images;
  };
  return { names, train: listed(data.train!), val: listed(data.val!) };
}
