import sharp from 'sharp';

/**
 * Synthetic object-detection images with known ground truth: coloured circles, squares and triangles on a plain
 * background. Layouts come from a seeded generator, so the same seed and index always give the same image and boxes
 * (tests, benchmarks and the demo can regenerate the truth instead of storing it).
 */

export interface ShapeClass {
  id: number;
  name: 'circle' | 'square' | 'triangle';
  color: string;
}

export const shapeClasses: readonly ShapeClass[] = [
  { id: 1, name: 'circle', color: '#e6194b' },
  { id: 2, name: 'square', color: '#3cb44b' },
  { id: 3, name: 'triangle', color: '#4363d8' },
];

export type ImageFormat = 'jpeg' | 'png';

/** One object: its class and its bounding box in image pixels, COCO order [x, y, width, height]. */
export interface SyntheticObject {
  shape: ShapeClass;
  bbox: [number, number, number, number];
}

export interface SyntheticImagePlan {
  /** 1-based, stable for a given index: the COCO image id. */
  id: number;
  /** Blob path, e.g. `demo-000042.jpg` (with the prefix, if any). */
  blobPath: string;
  width: number;
  height: number;
  format: ImageFormat;
  background: string;
  objects: SyntheticObject[];
}

export interface PlanOptions {
  seed?: number;
  /** Shortest and longest image side in pixels (each side drawn independently). */
  minSize?: number;
  maxSize?: number;
  /** Virtual folder for the blob names, e.g. `images/`. */
  prefix?: string;
  /** Objects per image. */
  minObjects?: number;
  maxObjects?: number;
  /** Formats to draw from (default: JPEG and PNG, about half each). */
  formats?: readonly ImageFormat[];
}

const defaults = {
  seed: 2017,
  minSize: 320,
  maxSize: 1024,
  prefix: '',
  minObjects: 1,
  maxObjects: 5,
  formats: ['jpeg', 'png'] as readonly ImageFormat[],
};

/** mulberry32: tiny, fast, good enough for layouts; seeded per image so images can be generated in any order. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function intBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function overlaps(a: SyntheticObject['bbox'], b: SyntheticObject['bbox']): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/** The layout of image number `index` (0-based): size, format and non-overlapping objects. */
export function planImage(index: number, options: PlanOptions = {}): SyntheticImagePlan {
  const o = { ...defaults, ...options };
  const random = rng(Math.imul(o.seed, 0x9e3779b1) ^ index);
  const width = intBetween(random, o.minSize, o.maxSize);
  const height = intBetween(random, o.minSize, o.maxSize);
  const format = o.formats[Math.floor(random() * o.formats.length)]!;
  const grey = intBetween(random, 200, 245).toString(16);
  const wanted = intBetween(random, o.minObjects, o.maxObjects);
  const shortSide = Math.min(width, height);
  const objects: SyntheticObject[] = [];
  // Placement by rejection: a few tries per object keep boxes apart, so every box is fully visible.
  for (let attempt = 0; objects.length < wanted && attempt < wanted * 20; attempt++) {
    const shape = shapeClasses[intBetween(random, 0, shapeClasses.length - 1)]!;
    const size = intBetween(random, Math.max(8, Math.floor(shortSide / 10)), Math.max(10, Math.floor(shortSide / 3)));
    const w = shape.name === 'triangle' ? Math.round(size * (0.8 + random() * 0.4)) : size;
    const bbox: SyntheticObject['bbox'] = [
      intBetween(random, 0, width - w),
      intBetween(random, 0, height - size),
      w,
      size,
    ];
    if (objects.every((other) => !overlaps(other.bbox, bbox))) objects.push({ shape, bbox });
  }
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  return {
    id: index + 1,
    blobPath: `${o.prefix}demo-${String(index + 1).padStart(6, '0')}.${ext}`,
    width,
    height,
    format,
    background: `#${grey}${grey}${grey}`,
    objects,
  };
}

function shapeSvg({ shape, bbox: [x, y, w, h] }: SyntheticObject): string {
  switch (shape.name) {
    case 'circle':
      return `<ellipse cx="${x + w / 2}" cy="${y + h / 2}" rx="${w / 2}" ry="${h / 2}" fill="${shape.color}"/>`;
    case 'square':
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${shape.color}"/>`;
    case 'triangle':
      return `<polygon points="${x},${y + h} ${x + w / 2},${y} ${x + w},${y + h}" fill="${shape.color}"/>`;
  }
}

/** Renders a plan to JPEG or PNG bytes. */
export async function renderImage(plan: SyntheticImagePlan): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${plan.width}" height="${plan.height}">` +
    `<rect width="100%" height="100%" fill="${plan.background}"/>${plan.objects.map(shapeSvg).join('')}</svg>`;
  const image = sharp(Buffer.from(svg));
  return plan.format === 'jpeg' ? image.jpeg({ quality: 85 }).toBuffer() : image.png().toBuffer();
}

export function contentTypeOf(format: ImageFormat): string {
  return format === 'jpeg' ? 'image/jpeg' : 'image/png';
}

export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  images: Array<{ id: number; file_name: string; width: number; height: number }>;
  annotations: Array<{
    id: number;
    image_id: number;
    category_id: number;
    bbox: [number, number, number, number];
    area: number;
    iscrowd: 0;
  }>;
  categories: Array<{ id: number; name: string; supercategory: string }>;
}

/** Ground truth in COCO format; `file_name` is the blob path. */
export function toCoco(plans: readonly SyntheticImagePlan[], createdAt = new Date()): CocoDataset {
  let annotationId = 0;
  return {
    info: {
      description: 'ML Assist Labeling synthetic demo data',
      version: '1.0',
      date_created: createdAt.toISOString(),
    },
    images: plans.map((p) => ({ id: p.id, file_name: p.blobPath, width: p.width, height: p.height })),
    annotations: plans.flatMap((p) =>
      p.objects.map((o) => ({
        id: ++annotationId,
        image_id: p.id,
        category_id: o.shape.id,
        bbox: o.bbox,
        area: o.bbox[2] * o.bbox[3],
        iscrowd: 0 as const,
      })),
    ),
    categories: shapeClasses.map((c) => ({ id: c.id, name: c.name, supercategory: 'shape' })),
  };
}
