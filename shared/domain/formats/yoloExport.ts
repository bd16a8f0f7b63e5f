import { toNormalizedBox } from '../normalizedBox';
import type { SplitName } from './exportedImage';
import {
  splitIndex,
  type ChunkContext,
  type ChunkOutput,
  type FormatWriter,
  type PlacedImage,
  type StreamedDocument,
  type WholeFile,
} from './streamedDocument';

/**
 * YOLO in the Ultralytics layout: `data.yaml` (class names in the project's label order, ids from 0), image lists
 * `train.txt` (and `val.txt` for a split export; without one, `val` points at `train.txt` too, as Ultralytics needs
 * a validation set) naming `./images/<blob path>`, and one label file per image under `labels/` with a line
 * `class x_center y_center width height` per box, as fractions of the image. Copy the images container into
 * `images/` beside them and `yolo train data=data.yaml` finds everything. An image with no objects has an empty
 * label file (a background image).
 */
const listFile = (split: SplitName | undefined) => (split === 'validation' ? 'val.txt' : 'train.txt');

export const yoloImagePath = (blobPath: string) => `./images/${blobPath}`;

/** Where Ultralytics looks for an image's labels: the last `/images/` becomes `/labels/`, the extension `.txt`. */
export function yoloLabelPath(imagePath: string): string {
  const at = imagePath.lastIndexOf('/images/');
  const swapped = at < 0 ? imagePath : `${imagePath.slice(0, at)}/labels/${imagePath.slice(at + '/images/'.length)}`;
  const dot = swapped.lastIndexOf('.');
  return `${dot < 0 ? swapped : swapped.slice(0, dot)}.txt`.replace(/^\.\//, '');
}

const fraction = (v: number) => String(Math.round(v * 1e6) / 1e6);

export const yoloWriter: FormatWriter = {
  documents: (ctx): StreamedDocument[] =>
    ctx.splits.map((split) => ({ path: listFile(split), contentType: 'text/plain', frame: ['', ''], separator: '' })),

  chunk(images: readonly PlacedImage[], ctx: ChunkContext): ChunkOutput {
    const classOf = new Map(ctx.labels.map((name, i) => [name, i]));
    const lists = ctx.splits.map((): string[] => []);
    const files: WholeFile[] = [];
    for (const { image } of images) {
      const imagePath = yoloImagePath(image.blobPath);
      lists[splitIndex(ctx, image.split)]!.push(`${imagePath}\n`);
      const lines = image.boxes.map((box) => {
        const cls = classOf.get(box.label);
        if (cls === undefined) throw new Error(`label '${box.label}' of task ${image.taskId} is not a project label`);
        const n = toNormalizedBox(box, image);
        const w = n.bottomX - n.topX;
        const h = n.bottomY - n.topY;
        return `${cls} ${fraction(n.topX + w / 2)} ${fraction(n.topY + h / 2)} ${fraction(w)} ${fraction(h)}\n`;
      });
      files.push({ path: yoloLabelPath(imagePath), body: lines.join(''), contentType: 'text/plain' });
    }
    return { parts: lists.map((l) => [l.join('')]), files };
  },

  finalFiles(ctx): WholeFile[] {
    const split = ctx.splits.includes('validation');
    const yaml = [
      `# ${ctx.projectName} (project ${ctx.projectId}), export ${ctx.exportId} of ${ctx.requestedAt}`,
      'path: .',
      'train: train.txt',
      `val: ${split ? 'val.txt' : 'train.txt'}`,
      'names:',
      // JSON strings are valid YAML scalars: any label name survives quoting.
      ...ctx.labels.map((name, i) => `  ${i}: ${JSON.stringify(name)}`),
      '',
    ].join('\n');
    return [{ path: 'data.yaml', body: yaml, contentType: 'text/yaml' }];
  },
};
