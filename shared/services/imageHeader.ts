import { imageSize } from 'image-size';

/**
 * Image dimensions from the first bytes of a file (pure; image-size does the format work). The caller reads a
 * prefix of the blob and says whether that prefix is the whole file: a parse that fails on a prefix is only
 * "incomplete" (read more), while the same failure on the whole file is a reject with a reason a person can act on.
 */

/** Formats a labeling task may hold: what Azure ML Data Labeling accepts (JPEG, PNG, BMP, TIFF) plus WebP. */
export const supportedImageFormats = { jpg: 'JPEG', png: 'PNG', bmp: 'BMP', tiff: 'TIFF', webp: 'WebP' } as const;
export type SupportedImageFormat = keyof typeof supportedImageFormats;

export interface ImageHeader {
  width: number;
  height: number;
  type: SupportedImageFormat;
  /** EXIF orientation 2–8 (JPEG), when present: 5–8 mean viewers show the image rotated (width and height swapped). */
  orientation?: number;
}

export type HeaderParse =
  | { kind: 'image'; header: ImageHeader }
  | { kind: 'rejected'; reason: string }
  /** The prefix ends before the dimensions; `reason` is what to report if no longer prefix helps. */
  | { kind: 'incomplete'; reason: string; bytesNeeded?: number };

const supportedList = Object.values(supportedImageFormats).join(', ');

/** Our supported formats by signature, to name the format in reasons even when image-size gives up. */
function sniff(bytes: Uint8Array): SupportedImageFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16));
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return 'jpg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png';
  if (b.length >= 2 && b.toString('latin1', 0, 2) === 'BM') return 'bmp';
  if (b.length >= 4 && ['49492a00', '4d4d002a', '49492b00', '4d4d002b'].includes(b.toString('hex', 0, 4)))
    return 'tiff';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * Where a classic TIFF's first directory ends. TIFF writers (libtiff, so sharp too) often put the directory after
 * the image data, so a short prefix cannot hold it; the offset at bytes 4–7 says how far to read.
 */
function tiffBytesNeeded(bytes: Uint8Array): number | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8 || b[2] === 0x2b || b[3] === 0x2b) return undefined; // BigTIFF: let the caller grow the read
  const le = b[0] === 0x49;
  const ifd = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
  if (b.length < ifd + 2) return ifd + 2 + 12 * 32 + 4; // typical directories hold well under 32 entries
  const entries = le ? b.readUInt16LE(ifd) : b.readUInt16BE(ifd);
  return ifd + 2 + 12 * entries + 4;
}

/** BMP variants image-size reads correctly: the DIB header sizes of BITMAPINFOHEADER and its successors. */
const bmpInfoHeaderSizes = new Set([40, 52, 56, 64, 108, 124]);

function validDimension(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

export function parseImageHeader(bytes: Uint8Array, complete: boolean): HeaderParse {
  if (bytes.byteLength === 0) {
    return complete
      ? { kind: 'rejected', reason: 'the blob is empty (0 bytes)' }
      : { kind: 'incomplete', reason: 'no bytes' };
  }
  const sniffed = sniff(bytes);
  // PNG, BMP and WebP keep their size in the first 30 bytes; only JPEG and TIFF can need more than a prefix.
  const prefixSuffices = (sniffed === 'png' || sniffed === 'bmp' || sniffed === 'webp') && bytes.byteLength >= 64;
  const fail = (reason: string): HeaderParse => {
    if (complete || prefixSuffices) return { kind: 'rejected', reason };
    const bytesNeeded = sniffed === 'tiff' ? tiffBytesNeeded(bytes) : undefined;
    return bytesNeeded === undefined ? { kind: 'incomplete', reason } : { kind: 'incomplete', reason, bytesNeeded };
  };

  if (sniffed === 'bmp') {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.length < 26) return fail('unreadable BMP header: shorter than 26 bytes');
    const dibSize = b.readUInt32LE(14);
    if (!bmpInfoHeaderSizes.has(dibSize)) {
      return { kind: 'rejected', reason: `unsupported BMP header (DIB header of ${dibSize} bytes)` };
    }
  }

  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!sniffed) {
      // Not one of our formats, and a longer prefix never changes what a file is.
      const detected = /^unsupported file type: (\w+)$/.exec(message)?.[1];
      const looksLike = detected && detected !== 'undefined' ? ` (it looks like ${detected.toUpperCase()})` : '';
      return { kind: 'rejected', reason: `not a supported image format (${supportedList})${looksLike}` };
    }
    return fail(`unreadable ${supportedImageFormats[sniffed]} header: ${message}`);
  }

  const type = size.type === 'jpeg' ? 'jpg' : size.type;
  if (!type || !(type in supportedImageFormats)) {
    const name = (type ?? 'unknown').toUpperCase();
    return {
      kind: 'rejected',
      reason: `the content is ${name}, which is not a supported image format (${supportedList})`,
    };
  }
  const format = type as SupportedImageFormat;
  if (!validDimension(size.width) || !validDimension(size.height)) {
    return fail(`the ${supportedImageFormats[format]} header declares an invalid size (${size.width}×${size.height})`);
  }
  const header: ImageHeader = { width: size.width, height: size.height, type: format };
  // 1 is the default (as stored); only a real rotation or mirroring is worth carrying.
  if (size.orientation !== undefined && size.orientation > 1) header.orientation = size.orientation;
  return { kind: 'image', header };
}
