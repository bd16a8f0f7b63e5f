import type { Box } from './task';

/**
 * Boxes as fractions of the image size (Azure ML's convention, origin top-left), and the two conversions every
 * place that moves boxes between the app (pixels) and a training provider (fractions) uses: dataset lines, the
 * local runner's inputs and outputs, prediction parts turned into prelabels.
 */
export interface NormalizedBox {
  label: string;
  topX: number;
  topY: number;
  bottomX: number;
  bottomY: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** In image pixels; a box with its corners the wrong way round has no extent. `score` is kept when given. */
export function toPixelBox(b: NormalizedBox, size: ImageSize, score?: number): Box {
  return {
    label: b.label,
    x: b.topX * size.width,
    y: b.topY * size.height,
    width: Math.max(0, b.bottomX - b.topX) * size.width,
    height: Math.max(0, b.bottomY - b.topY) * size.height,
    ...(score !== undefined ? { score } : {}),
  };
}

/** As fractions, clipped to the image (labels may overshoot its edge by a pixel). */
export function toNormalizedBox(
  box: Pick<Box, 'label' | 'x' | 'y' | 'width' | 'height'>,
  size: ImageSize,
): NormalizedBox {
  return {
    label: box.label,
    topX: clamp01(box.x / size.width),
    topY: clamp01(box.y / size.height),
    bottomX: clamp01((box.x + box.width) / size.width),
    bottomY: clamp01((box.y + box.height) / size.height),
  };
}
