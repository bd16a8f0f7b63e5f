import sharp from 'sharp';
import { mulberry32 } from '../../shared/util/seededRandom';

/**
 * Synthetic object-detection images with known ground truth: coloured circles, squares and triangles on a plain
 * background. Layouts come from a seeded generator, so the same seed and index always give the same image and boxes
 * (tests, benchmarks and the demo can regenerate the truth instead of storing it).
 *
 * Two styles:
 *  - 'plain' (the default, unchanged): each class has its own colour, so colour alone gives the class away;
 *  - 'scenes' (opt-in, for the trainer's tests and bench): colour is random and shared by all classes, which differ by
 *    shape AND texture (circle: solid, square: stripes, triangle: dots), on a shaded, noisy background with unlabelled
 *    distractor blobs that reuse the same colours and textures. A detector must look at shape and texture.
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

export type ImageStyle = 'plain' | 'scenes';

/** Fill of a scene object or distractor. */
export type Texture = 'solid' | 'stripes' | 'dots' | 'checker';

/** In 'scenes', the class's texture (the class is shape + texture; distractors use any texture). */
export const sceneTextures: Readonly<Record<ShapeClass['name'], Texture>> = {
  circle: 'solid',
  square: 'stripes',
  triangle: 'dots',
};

/** One object: its class and its bounding box in image pixels, COCO order [x, y, width, height]. */
export interface SyntheticObject {
  shape: ShapeClass;
  bbox: [number, number, number, number];
  /** 'scenes' only: the object's random colour (not the class colour) and its texture. */
  color?: string;
  texture?: Texture;
}

/** 'scenes' only: an unlabelled blob (irregular polygon), not part of the ground truth. */
export interface SyntheticDistractor {
  points: Array<[number, number]>;
  color: string;
  texture: Texture;
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
  /** Present for 'scenes' only (plain plans keep their original shape). */
  style?: 'scenes';
  /** 'scenes': second stop of the background's diagonal gradient. */
  backgroundTo?: string;
  distractors?: SyntheticDistractor[];
  /** 'scenes': seed of the background noise (feTurbulence). */
  noiseSeed?: number;
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
  /** 'plain' (default: class = colour) or 'scenes' (class = shape + texture, distractors); see the file comment. */
  style?: ImageStyle;
  /** 'scenes': unlabelled distractor blobs per image (default 0–3). */
  minDistractors?: number;
  maxDistractors?: number;
}

const defaults = {
  seed: 2017,
  minSize: 320,
  maxSize: 1024,
  prefix: '',
  minObjects: 1,
  maxObjects: 5,
  formats: ['jpeg', 'png'] as readonly ImageFormat[],
  style: 'plain' as ImageStyle,
  minDistractors: 0,
  maxDistractors: 3,
};

function intBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function overlaps(a: SyntheticObject['bbox'], b: SyntheticObject['bbox']): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/** The layout of image number `index` (0-based): size, format and non-overlapping objects. */
export function planImage(index: number, options: PlanOptions = {}): SyntheticImagePlan {
  const o = { ...defaults, ...options };
  if (o.style === 'scenes') return planScene(index, o);
  const random = mulberry32(Math.imul(o.seed, 0x9e3779b1) ^ index);
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

/** Mid-saturation colours shared by every class and distractor in 'scenes' (so colour says nothing). */
const scenePalette = ['#c0392b', '#27ae60', '#2980b9', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#b7950b'];
const allTextures: readonly Texture[] = ['solid', 'stripes', 'dots', 'checker'];

function greyHex(level: number): string {
  const h = Math.max(0, Math.min(255, Math.round(level)))
    .toString(16)
    .padStart(2, '0');
  return `#${h}${h}${h}`;
}

/**
 * A 'scenes' layout. It draws from its own random stream (a different seed mix than 'plain'), so adding it left every
 * plain plan byte-for-byte unchanged.
 */
function planScene(index: number, o: typeof defaults): SyntheticImagePlan {
  const random = mulberry32(Math.imul(o.seed ^ 0x5ce7e5, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  const width = intBetween(random, o.minSize, o.maxSize);
  const height = intBetween(random, o.minSize, o.maxSize);
  const format = o.formats[Math.floor(random() * o.formats.length)]!;
  const level = intBetween(random, 95, 200);
  const background = greyHex(level);
  const backgroundTo = greyHex(level + intBetween(random, -45, 45));
  const wanted = intBetween(random, o.minObjects, o.maxObjects);
  const shortSide = Math.min(width, height);
  const boxes: Array<SyntheticObject['bbox']> = [];
  const objects: SyntheticObject[] = [];
  for (let attempt = 0; objects.length < wanted && attempt < wanted * 30; attempt++) {
    const shape = shapeClasses[intBetween(random, 0, shapeClasses.length - 1)]!;
    const size = intBetween(random, Math.max(10, Math.floor(shortSide / 9)), Math.max(12, Math.floor(shortSide / 3)));
    // Aspect varies for every class, so a circle is an ellipse and size alone does not give the class away.
    const w = Math.max(8, Math.round(size * (0.75 + random() * 0.5)));
    const bbox: SyntheticObject['bbox'] = [
      intBetween(random, 0, width - w),
      intBetween(random, 0, height - size),
      w,
      size,
    ];
    const color = scenePalette[intBetween(random, 0, scenePalette.length - 1)]!;
    if (boxes.every((other) => !overlaps(other, bbox))) {
      boxes.push(bbox);
      objects.push({ shape, bbox, color, texture: sceneTextures[shape.name] });
    }
  }
  const distractors: SyntheticDistractor[] = [];
  const wantedDistractors = intBetween(random, o.minDistractors, o.maxDistractors);
  for (let attempt = 0; distractors.length < wantedDistractors && attempt < wantedDistractors * 30; attempt++) {
    const size = intBetween(random, Math.max(10, Math.floor(shortSide / 9)), Math.max(12, Math.floor(shortSide / 3)));
    const bbox: SyntheticObject['bbox'] = [
      intBetween(random, 0, width - size),
      intBetween(random, 0, height - size),
      size,
      size,
    ];
    const color = scenePalette[intBetween(random, 0, scenePalette.length - 1)]!;
    const texture = allTextures[intBetween(random, 0, allTextures.length - 1)]!;
    // An irregular star-ish polygon: 5–9 vertices at random radii, clearly none of the three classes.
    const vertices = intBetween(random, 5, 9);
    const phase = random() * Math.PI * 2;
    const points = Array.from({ length: vertices }, (_, v): [number, number] => {
      const angle = phase + (v / vertices) * Math.PI * 2;
      const radius = (size / 2) * (v % 2 === 0 ? 0.95 : 0.35 + random() * 0.4);
      return [
        Math.round((bbox[0] + size / 2 + Math.cos(angle) * radius) * 10) / 10,
        Math.round((bbox[1] + size / 2 + Math.sin(angle) * radius) * 10) / 10,
      ];
    });
    if (boxes.every((other) => !overlaps(other, bbox))) {
      boxes.push(bbox);
      distractors.push({ points, color, texture });
    }
  }
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  return {
    id: index + 1,
    blobPath: `${o.prefix}scene-${String(index + 1).padStart(6, '0')}.${ext}`,
    width,
    height,
    format,
    background,
    objects,
    style: 'scenes',
    backgroundTo,
    distractors,
    noiseSeed: intBetween(random, 1, 10_000),
  };
}

/** SVG fill for a scene texture: a pattern in user space, its period scaled to the object so it survives resizing. */
function texturePattern(id: string, texture: Texture, color: string, size: number): { defs: string; fill: string } {
  if (texture === 'solid') return { defs: '', fill: color };
  const p = Math.max(6, Math.round(size / 5));
  const light = '#f2f2f2';
  const body =
    texture === 'stripes'
      ? `<rect width="${p}" height="${p}" fill="${light}"/><rect width="${p / 2}" height="${p}" fill="${color}"/>`
      : texture === 'dots'
        ? `<rect width="${p}" height="${p}" fill="${light}"/><circle cx="${p / 2}" cy="${p / 2}" r="${p / 3}" fill="${color}"/>`
        : `<rect width="${p}" height="${p}" fill="${light}"/><rect width="${p / 2}" height="${p / 2}" fill="${color}"/>` +
          `<rect x="${p / 2}" y="${p / 2}" width="${p / 2}" height="${p / 2}" fill="${color}"/>`;
  const rotate = texture === 'stripes' ? ' patternTransform="rotate(45)"' : '';
  return {
    defs: `<pattern id="${id}" patternUnits="userSpaceOnUse" width="${p}" height="${p}"${rotate}>${body}</pattern>`,
    fill: `url(#${id})`,
  };
}

function sceneSvg(plan: SyntheticImagePlan): string {
  const defs: string[] = [
    `<linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${plan.background}"/>` +
      `<stop offset="1" stop-color="${plan.backgroundTo ?? plan.background}"/></linearGradient>`,
    // Low-contrast fractal noise over the background, so flat regions are not a free cue.
    `<filter id="noise"><feTurbulence type="fractalNoise" baseFrequency="0.08" numOctaves="2" seed="${plan.noiseSeed ?? 1}"/>` +
      `<feColorMatrix type="saturate" values="0"/></filter>`,
  ];
  const shapes: string[] = [];
  (plan.distractors ?? []).forEach((d, i) => {
    const xs = d.points.map(([x]) => x);
    const t = texturePattern(`d${i}`, d.texture, d.color, Math.max(...xs) - Math.min(...xs));
    defs.push(t.defs);
    shapes.push(`<polygon points="${d.points.map(([x, y]) => `${x},${y}`).join(' ')}" fill="${t.fill}"/>`);
  });
  plan.objects.forEach((object, i) => {
    const [, , w, h] = object.bbox;
    const t = texturePattern(`o${i}`, object.texture ?? 'solid', object.color ?? object.shape.color, Math.min(w, h));
    defs.push(t.defs);
    shapes.push(shapeSvg(object, t.fill));
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${plan.width}" height="${plan.height}"><defs>${defs.join('')}</defs>` +
    `<rect width="100%" height="100%" fill="url(#bg)"/>` +
    `<rect width="100%" height="100%" filter="url(#noise)" opacity="0.18"/>${shapes.join('')}</svg>`
  );
}

function shapeSvg({ shape, bbox: [x, y, w, h] }: SyntheticObject, fill: string = shape.color): string {
  switch (shape.name) {
    case 'circle':
      return `<ellipse cx="${x + w / 2}" cy="${y + h / 2}" rx="${w / 2}" ry="${h / 2}" fill="${fill}"/>`;
    case 'square':
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
    case 'triangle':
      return `<polygon points="${x},${y + h} ${x + w / 2},${y} ${x + w},${y + h}" fill="${fill}"/>`;
  }
}

/** Renders a plan to JPEG or PNG bytes. */
export async function renderImage(plan: SyntheticImagePlan): Promise<Buffer> {
  const svg =
    plan.style === 'scenes'
      ? sceneSvg(plan)
      : `<svg xmlns="http://www.w3.org/2000/svg" width="${plan.width}" height="${plan.height}">` +
        `<rect width="100%" height="100%" fill="${plan.background}"/>${plan.objects.map((o) => shapeSvg(o)).join('')}</svg>`;
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
