import type { CocoAnnotation, CocoCategory, CocoImage, CocoInfo } from './coco';
import {
  splitIndex,
  splitSuffix,
  type ChunkContext,
  type ChunkOutput,
  type ExportLayoutContext,
  type FormatWriter,
  type PlacedImage,
  type StreamedDocument,
} from './streamedDocument';

/**
 * COCO object detection JSON, one document per split (`coco.json`, or `coco_train.json` and `coco_validation.json`):
 * info, licenses, images (file_name is the blob path), annotations (bbox [x, y, w, h] in pixels, area w × h,
 * iscrowd 0), categories in the project's label order (ids from 1). Images skipped as "no objects" have no
 * annotations. Written as a header, the images section, the annotations section and a footer (streamedDocument.ts).
 *
 * Ids are stable and unique without coordination between chunks: an image's id is its chunk's index × 1,000,000 +
 * its position in the chunk's listing + 1, an annotation's is its image's id × 10,000 + its box's index + 1 (at most
 * 1,000 boxes per image are accepted; 10,000 leaves room for prelabels). Both stay far below 2^53.
 */
export const imagesPerChunkStride = 1_000_000;
export const annotationsPerImageStride = 10_000;

export const cocoImageId = (chunkIndex: number, position: number) => {
  if (position >= imagesPerChunkStride)
    throw new Error(`chunk ${chunkIndex} holds more than ${imagesPerChunkStride} tasks`);
  return chunkIndex * imagesPerChunkStride + position + 1;
};

export const cocoAnnotationId = (imageId: number, boxIndex: number) => {
  if (boxIndex >= annotationsPerImageStride - 1) throw new Error(`image ${imageId} has too many boxes to export`);
  return imageId * annotationsPerImageStride + boxIndex + 1;
};

export function cocoCategories(labels: readonly string[]): CocoCategory[] {
  return labels.map((name, i) => ({ id: i + 1, name, supercategory: 'none' }));
}

function header(ctx: ExportLayoutContext): string {
  const info: CocoInfo = {
    year: Number(ctx.requestedAt.slice(0, 4)),
    version: ctx.exportId,
    description: `${ctx.projectName} (project ${ctx.projectId})`,
    contributor: 'ML Assist Labeling',
    url: '',
    date_created: ctx.requestedAt,
  };
  return `{"info":${JSON.stringify(info)},"licenses":[],"images":[`;
}

export const cocoWriter: FormatWriter = {
  documents(ctx): StreamedDocument[] {
    const footer = `],"categories":${JSON.stringify(cocoCategories(ctx.labels))}}\n`;
    return ctx.splits.map((split) => ({
      path: `coco${splitSuffix(split)}.json`,
      contentType: 'application/json',
      frame: [header(ctx), '],"annotations":[', footer],
      separator: ',',
    }));
  },

  chunk(images: readonly PlacedImage[], ctx: ChunkContext): ChunkOutput {
    const categoryOf = new Map(ctx.labels.map((name, i) => [name, i + 1]));
    const imageParts = ctx.splits.map((): string[] => []);
    const annotationParts = ctx.splits.map((): string[] => []);
    for (const { image, position } of images) {
      const doc = splitIndex(ctx, image.split);
      const id = cocoImageId(ctx.chunkIndex, position);
      const entry: CocoImage = { id, width: image.width, height: image.height, file_name: image.blobPath };
      imageParts[doc]!.push(JSON.stringify(entry));
      image.boxes.forEach((box, i) => {
        const category_id = categoryOf.get(box.label);
        if (category_id === undefined)
          throw new Error(`label '${box.label}' of task ${image.taskId} is not a project label`);
        const annotation: CocoAnnotation = {
          id: cocoAnnotationId(id, i),
          image_id: id,
          category_id,
          bbox: [box.x, box.y, box.width, box.height],
          area: box.width * box.height,
          iscrowd: 0,
        };
        annotationParts[doc]!.push(JSON.stringify(annotation));
      });
    }
    return {
      parts: ctx.splits.map((_, d) => [imageParts[d]!.join(','), annotationParts[d]!.join(',')]),
      files: [],
    };
  },

  finalFiles: () => [],
};
