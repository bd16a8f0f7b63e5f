import type { Box } from '../types';

/** A box on the canvas: the API's box plus where it came from (a model's prelabel or the labeler). */
export interface DraftBox extends Box {
  id: number;
  source: 'model' | 'human';
  score?: number;
}

export interface View {
  /** Screen pixels per image pixel. */
  scale: number;
  /** Where the image's origin is on the canvas, in screen pixels. */
  tx: number;
  ty: number;
}

export interface Size {
  width: number;
  height: number;
}

export type Handle = 'nw' | 'ne' | 'sw' | 'se';

/** The canvas point (relative to the SVG's top-left) in image pixels. */
export function toImage(view: View, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - view.tx) / view.scale, y: (sy - view.ty) / view.scale };
}

/** The whole image in the canvas with a small margin, centred. */
export function fitView(canvas: Size, image: Size): View {
  const scale = Math.min(canvas.width / image.width, canvas.height / image.height) * 0.96;
  return centred(canvas, image, scale);
}

/** One image pixel per screen pixel, centred. */
export function actualSizeView(canvas: Size, image: Size): View {
  return centred(canvas, image, 1);
}

function centred(canvas: Size, image: Size, scale: number): View {
  return { scale, tx: (canvas.width - image.width * scale) / 2, ty: (canvas.height - image.height * scale) / 2 };
}

export const minScale = 0.05;
export const maxScale = 32;

/** Zooms by `factor` keeping the canvas point (sx, sy) over the same image point. */
export function zoomAt(view: View, factor: number, sx: number, sy: number): View {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  const k = scale / view.scale;
  return { scale, tx: sx - (sx - view.tx) * k, ty: sy - (sy - view.ty) * k };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The rectangle spanned by two image points, clamped to the image. */
export function spanned(a: { x: number; y: number }, b: { x: number; y: number }, image: Size) {
  const x1 = clamp(Math.min(a.x, b.x), 0, image.width);
  const y1 = clamp(Math.min(a.y, b.y), 0, image.height);
  const x2 = clamp(Math.max(a.x, b.x), 0, image.width);
  const y2 = clamp(Math.max(a.y, b.y), 0, image.height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/** A box moved by (dx, dy) image pixels, kept inside the image. */
export function moved<T extends Box>(box: T, dx: number, dy: number, image: Size): T {
  return {
    ...box,
    x: clamp(box.x + dx, 0, image.width - box.width),
    y: clamp(box.y + dy, 0, image.height - box.height),
  };
}

/** A box whose `handle` corner was dragged to image point p (the opposite corner stays put). */
export function resized<T extends Box>(box: T, handle: Handle, p: { x: number; y: number }, image: Size): T {
  const fixed = {
    x: handle === 'nw' || handle === 'sw' ? box.x + box.width : box.x,
    y: handle === 'nw' || handle === 'ne' ? box.y + box.height : box.y,
  };
  return { ...box, ...spanned(fixed, p, image) };
}

/** A box grown (or shrunk) by (dw, dh) image pixels at its bottom-right corner, at least 1 px and inside the image. */
export function grown<T extends Box>(box: T, dw: number, dh: number, image: Size): T {
  return {
    ...box,
    width: clamp(box.width + dw, 1, image.width - box.x),
    height: clamp(box.height + dh, 1, image.height - box.y),
  };
}

/** Whole image pixels for the API: the edges are rounded, so the box is where it was drawn within half a pixel. */
export function rounded(box: Box): Box {
  const x = Math.round(box.x);
  const y = Math.round(box.y);
  return {
    label: box.label,
    x,
    y,
    width: Math.max(1, Math.round(box.x + box.width) - x),
    height: Math.max(1, Math.round(box.y + box.height) - y),
  };
}

/** Whether the draft still equals the model's prelabel (same boxes and labels, in any order). */
export function sameBoxes(a: readonly Box[], b: readonly Box[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: Box) => JSON.stringify([x.label, x.x, x.y, x.width, x.height]);
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}
