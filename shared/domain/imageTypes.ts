/** What Azure ML Data Labeling accepts for images, plus webp. */
export const defaultImageExtensions = ['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'bmp', 'tif', 'tiff', 'webp'] as const;

/** Lower-case extension of a blob path without the dot, or '' when it has none. */
export function extensionOf(blobPath: string): string {
  const name = blobPath.slice(blobPath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
