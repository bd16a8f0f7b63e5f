// Import files built by the tests themselves from known boxes (the app's export writers are not what is under
// test here): a COCO dataset, a COCO results file, Azure ML JSONL.

export interface KnownBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  score?: number;
}

export interface KnownImage {
  fileName: string;
  width: number;
  height: number;
  boxes: KnownBox[];
}

export function cocoDataset(images: KnownImage[], labels: string[]) {
  const categories = labels.map((name, i) => ({ id: i + 1, name, supercategory: 'shape' }));
  const idOf = (label: string) => categories.find((c) => c.name === label)?.id ?? 999;
  let annotationId = 0;
  return {
    info: { description: 'test' },
    images: images.map((img, i) => ({ id: i + 1, file_name: img.fileName, width: img.width, height: img.height })),
    annotations: images.flatMap((img, i) =>
      img.boxes.map((b) => ({
        id: ++annotationId,
        image_id: i + 1,
        category_id: idOf(b.label),
        bbox: [b.x, b.y, b.width, b.height],
        area: b.width * b.height,
        iscrowd: 0,
      })),
    ),
    categories,
  };
}

/** A results file over `cocoDataset(images, labels)`'s ids: every box with its score. */
export function cocoResults(images: KnownImage[], labels: string[]) {
  return images.flatMap((img, i) =>
    img.boxes.map((b) => ({
      image_id: i + 1,
      category_id: labels.indexOf(b.label) + 1,
      bbox: [b.x, b.y, b.width, b.height],
      score: b.score ?? 1,
    })),
  );
}

/** Azure ML JSONL, boxes as fractions of the image size, `image_url` as a datastore URI. */
export function azureMlJsonl(images: KnownImage[]): string {
  return images
    .map((img) =>
      JSON.stringify({
        image_url: `azureml://datastores/mlassist_images/paths/${img.fileName}`,
        image_details: { format: 'png', width: img.width, height: img.height },
        label: img.boxes.map((b) => ({
          label: b.label,
          topX: b.x / img.width,
          topY: b.y / img.height,
          bottomX: (b.x + b.width) / img.width,
          bottomY: (b.y + b.height) / img.height,
          isCrowd: 0,
        })),
      }),
    )
    .join('\n');
}
