import type { BlobGateway, BlobLocation } from '../ports/blobGateway';
import { parseImageHeader, type ImageHeader } from './imageHeader';

/**
 * How much of a blob ingestion reads to find its dimensions. The first read covers the header of almost every
 * image: PNG, BMP, WebP need under 40 bytes; a JPEG's frame header (SOF) follows its APP segments, and an EXIF block
 * alone may be 64 KiB, plus ICC/XMP. When the first prefix is not enough the read grows eightfold (or to where a
 * TIFF says its directory is), never beyond `maxReadBytes`; only images smaller than that are ever read whole.
 */
export interface HeaderReadLimits {
  firstReadBytes: number;
  maxReadBytes: number;
}

export const defaultHeaderReadLimits: HeaderReadLimits = { firstReadBytes: 128 * 1024, maxReadBytes: 4 * 1024 * 1024 };

export type HeaderRead =
  | { kind: 'image'; header: ImageHeader }
  | { kind: 'rejected'; reason: string }
  /** The blob does not exist (any more): a BlobDeleted event for it follows, or already came. */
  | { kind: 'gone' };

function mebibytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** Reads growing prefixes of a blob until its image header parses or is found unusable. */
export async function readImageHeader(
  blobs: BlobGateway,
  at: BlobLocation,
  blobPath: string,
  limits: HeaderReadLimits = defaultHeaderReadLimits,
): Promise<HeaderRead> {
  let want = Math.min(limits.firstReadBytes, limits.maxReadBytes);
  for (;;) {
    const bytes = await blobs.readHead(at, blobPath, want);
    if (!bytes) return { kind: 'gone' };
    // A short answer is the whole blob: the failure is in the file, not in how much was read.
    const parsed = parseImageHeader(bytes, bytes.length < want);
    if (parsed.kind !== 'incomplete') return parsed;
    if (want >= limits.maxReadBytes) {
      return { kind: 'rejected', reason: `${parsed.reason} (no dimensions in the first ${mebibytes(want)})` };
    }
    want = Math.min(limits.maxReadBytes, Math.max(want * 8, parsed.bytesNeeded ?? 0));
  }
}
