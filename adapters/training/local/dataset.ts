import sharp from 'sharp';
import { outputStride, regressionChannels } from './model';
import { offsetLossWeight, sizeLossWeight } from './losses';

/**
 * From labelled examples (encoded images + boxes in original pixels) to network inputs and CenterNet targets.
 *
 * Resizing is a LETTERBOX anchored top-left: the image is scaled by S / max(width, height) (aspect ratio kept, so a
 * circle stays round) and padded on the right/bottom with mid-grey, which normalises to ≈ 0. Anchoring top-left
 * makes the way back a plain division: original = input / scale (per axis, using the exact rounded resized size).
 * EXIF orientation is not applied, on purpose: box coordinates in this app refer to the stored pixel grid, the same
 * one `image-size` reports.
 */

export interface TrainingBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TrainingExample {
  /** Encoded JPEG or PNG (anything sharp decodes). */
  image: Buffer;
  /** Boxes in original image pixels. */
  boxes: TrainingBox[];
}

/** A box in input (letterboxed) pixels, with its class index into `labels`. */
export interface InputBox {
  classIndex: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Letterboxed {
  /** S×S×3 RGB, row-major. */
  pixels: Uint8Array;
  /** Original size. */
  width: number;
  height: number;
  /** input pixels per original pixel, per axis. */
  scaleX: number;
  scaleY: number;
}

/** Mid-grey padding: (127/255 − mean)/std ≈ 0, i.e. "no signal" for the first convolution. */
const padGrey = 127;

export async function letterbox(image: Buffer, inputSize: number): Promise<Letterboxed> {
  const meta = await sharp(image).metadata();
  const width = meta.width;
  const height = meta.height;
  if (!width || !height) throw new Error('letterbox: cannot read the image size');
  const scale = inputSize / Math.max(width, height);
  const resizedWidth = Math.min(inputSize, Math.max(1, Math.round(width * scale)));
  const resizedHeight = Math.min(inputSize, Math.max(1, Math.round(height * scale)));
  const { data, info } = await sharp(image)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(resizedWidth, resizedHeight, { fit: 'fill' })
    .extend({
      right: inputSize - resizedWidth,
      bottom: inputSize - resizedHeight,
      background: { r: padGrey, g: padGrey, b: padGrey },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== inputSize || info.height !== inputSize) {
    throw new Error(`letterbox: unexpected decode ${info.width}×${info.height}×${info.channels}`);
  }
  return {
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width,
    height,
    scaleX: resizedWidth / width,
    scaleY: resizedHeight / height,
  };
}

export interface PreparedDataset {
  inputSize: number;
  classes: number;
  /** N×S×S×3 RGB bytes in a SharedArrayBuffer: worker threads read it without a copy. */
  pixels: Uint8Array;
  /** Per image, its boxes in input pixels (too-small boxes dropped). */
  boxes: InputBox[][];
}

/** Boxes smaller than this (in input pixels) cannot be localised at stride 4 and would only add noise. */
const minInputBoxSide = 2;

/** Decodes and letterboxes every example, `concurrency` at a time (sharp runs on libuv's thread pool). */
export async function prepareDataset(
  examples: readonly TrainingExample[],
  labels: readonly string[],
  inputSize: number,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<PreparedDataset> {
  const classIndex = new Map(labels.map((l, i) => [l, i]));
  const frame = inputSize * inputSize * 3;
  const pixels = new Uint8Array(new SharedArrayBuffer(examples.length * frame));
  const boxes: InputBox[][] = new Array(examples.length);
  let next = 0;
  const work = async () => {
    while (next < examples.length) {
      options.signal?.throwIfAborted();
      const i = next++;
      const example = examples[i]!;
      const image = await letterbox(example.image, inputSize);
      pixels.set(image.pixels, i * frame);
      boxes[i] = example.boxes.flatMap((b): InputBox[] => {
        const c = classIndex.get(b.label);
        if (c === undefined)
          throw new Error(`trainDetector: example ${i} has a box labelled "${b.label}", not in labels`);
        // Clip to the image first: a box partly outside it is trained on its visible part.
        const x0 = Math.max(0, b.x);
        const y0 = Math.max(0, b.y);
        const x1 = Math.min(image.width, b.x + b.width);
        const y1 = Math.min(image.height, b.y + b.height);
        const box = {
          classIndex: c,
          x: x0 * image.scaleX,
          y: y0 * image.scaleY,
          width: (x1 - x0) * image.scaleX,
          height: (y1 - y0) * image.scaleY,
        };
        return box.width >= minInputBoxSide && box.height >= minInputBoxSide ? [box] : [];
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, work));
  return { inputSize, classes: labels.length, pixels, boxes };
}

/** Input normalisation: x = (rgb/255 − mean)/std. */
export const pixelMean = 0.5;
export const pixelStd = 0.25;

/** Writes one S×S×3 frame as normalised floats into `out` at `outOffset`, mirrored left–right if `flip`. */
export function writeInput(
  pixels: Uint8Array,
  frameOffset: number,
  inputSize: number,
  out: Float32Array,
  outOffset: number,
  flip: boolean,
): void {
  const a = 1 / (255 * pixelStd);
  const b = -pixelMean / pixelStd;
  for (let y = 0; y < inputSize; y++) {
    const row = frameOffset + y * inputSize * 3;
    const outRow = outOffset + y * inputSize * 3;
    for (let x = 0; x < inputSize; x++) {
      const src = row + (flip ? inputSize - 1 - x : x) * 3;
      const dst = outRow + x * 3;
      out[dst] = pixels[src]! * a + b;
      out[dst + 1] = pixels[src + 1]! * a + b;
      out[dst + 2] = pixels[src + 2]! * a + b;
    }
  }
}

export function flipBoxes(boxes: readonly InputBox[], inputSize: number): InputBox[] {
  return boxes.map((b) => ({ ...b, x: inputSize - b.x - b.width }));
}

/**
 * CenterNet's Gaussian radius (from CornerNet): the largest radius r such that a box whose corners move by r still
 * has IoU ≥ minOverlap with the true box; the three cases are both corners moving in, out, or one of each.
 */
export function gaussianRadius(height: number, width: number, minOverlap = 0.7): number {
  const b1 = height + width;
  const c1 = (width * height * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
  const b2 = 2 * (height + width);
  const c2 = (1 - minOverlap) * width * height;
  const r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
  const a3 = 4 * minOverlap;
  const b3 = -2 * minOverlap * (height + width);
  const c3 = (minOverlap - 1) * width * height;
  const r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

/** Targets of one image, at output resolution (S/4)×(S/4). */
export interface ImageTargets {
  positive: Float32Array;
  negativeWeight: Float32Array;
  regression: Float32Array;
  regressionWeight: Float32Array;
  objects: number;
}

/** Focal loss β: how fast the penalty for firing near (not at) a centre comes back with distance. */
const focalBeta = 4;

/** Writes one image's targets into the batch arrays at slot `n` (arrays laid out [N, h, w, channels]). */
export function writeTargets(
  boxes: readonly InputBox[],
  inputSize: number,
  classes: number,
  n: number,
  into: ImageTargets,
): void {
  const size = Math.ceil(inputSize / outputStride);
  const cells = size * size;
  const heat = new Float32Array(cells * classes);
  const base = n * cells;
  for (const box of boxes) {
    const cx = (box.x + box.width / 2) / outputStride;
    const cy = (box.y + box.height / 2) / outputStride;
    const ix = Math.min(size - 1, Math.max(0, Math.floor(cx)));
    const iy = Math.min(size - 1, Math.max(0, Math.floor(cy)));
    const radius = Math.max(0, Math.floor(gaussianRadius(box.height / outputStride, box.width / outputStride)));
    const sigma = (2 * radius + 1) / 6;
    for (let y = Math.max(0, iy - radius); y <= Math.min(size - 1, iy + radius); y++) {
      for (let x = Math.max(0, ix - radius); x <= Math.min(size - 1, ix + radius); x++) {
        const g = Math.exp(-((x - ix) ** 2 + (y - iy) ** 2) / (2 * sigma * sigma));
        const k = (y * size + x) * classes + box.classIndex;
        if (g > heat[k]!) heat[k] = g;
      }
    }
    into.positive[(base + iy * size + ix) * classes + box.classIndex] = 1;
    const r = (base + iy * size + ix) * regressionChannels;
    into.regression.set([box.width / inputSize, box.height / inputSize, cx - ix, cy - iy], r);
    into.regressionWeight.set([sizeLossWeight, sizeLossWeight, offsetLossWeight, offsetLossWeight], r);
    into.objects++;
  }
  for (let k = 0; k < heat.length; k++) {
    const at = base * classes + k;
    into.negativeWeight[at] = into.positive[at] === 1 ? 0 : (1 - heat[k]!) ** focalBeta;
  }
}

export function emptyTargets(batch: number, inputSize: number, classes: number): ImageTargets {
  const cells = Math.ceil(inputSize / outputStride) ** 2 * batch;
  return {
    positive: new Float32Array(cells * classes),
    negativeWeight: new Float32Array(cells * classes),
    regression: new Float32Array(cells * regressionChannels),
    regressionWeight: new Float32Array(cells * regressionChannels),
    objects: 0,
  };
}
