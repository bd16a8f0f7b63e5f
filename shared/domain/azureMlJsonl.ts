import { toNormalizedBox } from './normalizedBox';
import type { Box, Task } from './task';

/**
 * Azure ML's JSONL for image object detection (what an AutoML ImageObjectDetection job reads through an MLTable):
 * one line per image, boxes as fractions of the image size. The training datasets and the `azureml-jsonl` export
 * write it with this one module, so a file the app exports trains exactly like the data the app trains on.
 */

export interface AzureMlBox {
  label: string;
  topX: number;
  topY: number;
  bottomX: number;
  bottomY: number;
  isCrowd: 0;
}

export interface AzureMlJsonlLine {
  image_url: string;
  image_details: { format: string; width: number; height: number };
  label: AzureMlBox[];
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** Boxes are clipped to the image (labels may overshoot the edge by a pixel) and rounded to 6 decimals. */
export function toAzureMlBox(box: Box, width: number, height: number): AzureMlBox {
  const n = toNormalizedBox(box, { width, height });
  return {
    label: n.label,
    topX: round(n.topX),
    topY: round(n.topY),
    bottomX: round(n.bottomX),
    bottomY: round(n.bottomY),
    isCrowd: 0,
  };
}

const formats: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
  'image/webp': 'webp',
};

function formatOf(task: Pick<Task, 'contentType' | 'blobPath'>): string {
  return formats[task.contentType] ?? task.blobPath.split('.').pop()?.toLowerCase() ?? 'jpg';
}

/** The line for an image of known size with these boxes (pixels). */
export function azureMlJsonlLineOf(
  image: Pick<Task, 'contentType' | 'blobPath'> & { width: number; height: number },
  boxes: readonly Box[],
  imageUrl: string,
): AzureMlJsonlLine {
  return {
    image_url: imageUrl,
    image_details: { format: formatOf(image), width: image.width, height: image.height },
    label: boxes.map((b) => toAzureMlBox(b, image.width, image.height)),
  };
}

/**
 * The line for a labeled task, or undefined when the task has no human label or no known size (such images cannot
 * be expressed in normalized coordinates). A task skipped as "no objects" is a valid image with no boxes.
 */
export function azureMlJsonlLine(task: Task, imageUrl: string): AzureMlJsonlLine | undefined {
  if (task.width === null || task.height === null || task.width <= 0 || task.height <= 0) return undefined;
  const boxes =
    task.state === 'labeled'
      ? task.annotation?.boxes
      : task.state === 'skipped' && task.skip?.reason === 'noObjects'
        ? []
        : undefined;
  if (boxes === undefined) return undefined;
  return azureMlJsonlLineOf({ ...task, width: task.width, height: task.height }, boxes, imageUrl);
}

/** The MLTable beside a JSONL file, as Azure ML's image tasks expect it (image_url read as a stream). */
export function mlTableFor(jsonlFileName: string): string {
  return [
    'paths:',
    `  - file: ./${jsonlFileName}`,
    'transformations:',
    '  - read_json_lines:',
    '      encoding: utf8',
    '      invalid_lines: error',
    '      include_path_column: false',
    '  - convert_column_types:',
    '      - columns: image_url',
    '        column_type: stream_info',
    '',
  ].join('\n');
}
