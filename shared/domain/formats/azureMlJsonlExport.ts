import { azureMlJsonlLineOf, mlTableFor } from '../azureMlJsonl';
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
 * Azure ML JSONL for AutoML image object detection (the same lines the app trains on, shared/domain/azureMlJsonl.ts)
 * with an MLTable beside each file: `data.jsonl` + `MLTable`, or `train/…` and `validation/…` for a split export, so
 * a job's `training_data` (and `validation_data`) can point at the folders as `mltable` inputs.
 */
const folderOf = (split: SplitName | undefined) => (split ? `${split}/` : '');

export const azureMlJsonlWriter: FormatWriter = {
  documents: (ctx): StreamedDocument[] =>
    ctx.splits.map((split) => ({
      path: `${folderOf(split)}data.jsonl`,
      contentType: 'application/jsonl',
      frame: ['', ''],
      separator: '',
    })),

  chunk(images: readonly PlacedImage[], ctx: ChunkContext): ChunkOutput {
    const parts = ctx.splits.map((): string[] => []);
    for (const { image } of images) {
      const line = azureMlJsonlLineOf(image, image.boxes, ctx.imageUrl(image.blobPath));
      parts[splitIndex(ctx, image.split)]!.push(JSON.stringify(line) + '\n');
    }
    return { parts: parts.map((p) => [p.join('')]), files: [] };
  },

  finalFiles: (ctx): WholeFile[] =>
    ctx.splits.map((split) => ({
      path: `${folderOf(split)}MLTable`,
      body: mlTableFor('data.jsonl'),
      contentType: 'text/yaml',
    })),
};
