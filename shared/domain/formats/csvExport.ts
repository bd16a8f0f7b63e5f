import { toAzureMlBox } from '../azureMlJsonl';
import {
  splitIndex,
  splitSuffix,
  type ChunkContext,
  type ChunkOutput,
  type FormatWriter,
  type PlacedImage,
  type StreamedDocument,
} from './streamedDocument';

/**
 * CSV as Azure ML Data Labeling exports an object detection project: one row per image, columns `Url` (the image as
 * an Azure ML job reads it) and `Label` (the image's boxes as JSON, in the JSONL's normalized form: label, topX,
 * topY, bottomX, bottomY, isCrowd). `labels.csv`, or `labels_train.csv` and `labels_validation.csv`. Fields are quoted
 * as RFC 4180 says (double quotes doubled).
 */
export const csvHeader = 'Url,Label\r\n';

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export const csvWriter: FormatWriter = {
  documents: (ctx): StreamedDocument[] =>
    ctx.splits.map((split) => ({
      path: `labels${splitSuffix(split)}.csv`,
      contentType: 'text/csv',
      frame: [csvHeader, ''],
      separator: '',
    })),

  chunk(images: readonly PlacedImage[], ctx: ChunkContext): ChunkOutput {
    const rows = ctx.splits.map((): string[] => []);
    for (const { image } of images) {
      const label = JSON.stringify(image.boxes.map((b) => toAzureMlBox(b, image.width, image.height)));
      rows[splitIndex(ctx, image.split)]!.push(`${csvField(ctx.imageUrl(image.blobPath))},${csvField(label)}\r\n`);
    }
    return { parts: rows.map((r) => [r.join('')]), files: [] };
  },

  finalFiles: () => [],
};
