import sharp from 'sharp';

/** Test images of known size in every accepted format (sharp writes all but BMP, which is small enough to write here). */

function canvas(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } });
}

export const png = (width: number, height: number) => canvas(width, height).png().toBuffer();
export const webp = (width: number, height: number, lossless = false) =>
  canvas(width, height).webp({ lossless }).toBuffer();
/** Uncompressed, so the directory libtiff writes after the pixels lies far from the start of the file. */
export const tiff = (width: number, height: number) => canvas(width, height).tiff({ compression: 'none' }).toBuffer();
export const gif = (width: number, height: number) => canvas(width, height).gif().toBuffer();
export const jpeg = (width: number, height: number) => canvas(width, height).jpeg().toBuffer();

/** A camera-like JPEG: an EXIF block of about `exifBytes` (≤ 64 KiB, the APP1 limit) before the frame header. */
export function jpegWithExif(width: number, height: number, exifBytes = 60_000, orientation?: number) {
  const image = canvas(width, height)
    .jpeg()
    .withExif({ IFD0: { ImageDescription: 'x'.repeat(exifBytes - 200) } });
  return (orientation ? image.withMetadata({ orientation }) : image).toBuffer();
}

/** A JPEG whose frame header sits beyond `minOffset` bytes: a big EXIF block plus APP15 padding segments. */
export async function jpegWithHeaderBeyond(width: number, height: number, minOffset: number) {
  let buf = await jpegWithExif(width, height);
  while (sofOffset(buf) < minOffset) {
    const payload = Buffer.alloc(60_000, 0x20);
    const segment = Buffer.concat([Buffer.from([0xff, 0xef]), u16be(payload.length + 2), payload]);
    buf = Buffer.concat([buf.subarray(0, 2), segment, buf.subarray(2)]);
  }
  return buf;
}

function u16be(n: number) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Offset of the first baseline/progressive frame header in a JPEG. */
export function sofOffset(buf: Buffer): number {
  let i = 2;
  while (i + 4 <= buf.length) {
    const marker = buf[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) return i;
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return -1;
}

/** A 24-bit bottom-up BMP (BITMAPINFOHEADER). */
export function bmp(width: number, height: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const pixels = rowBytes * height;
  const file = Buffer.alloc(54 + pixels, 0x7f);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(0, 6);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(0, 30);
  file.writeUInt32LE(pixels, 34);
  file.writeInt32LE(2835, 38);
  file.writeInt32LE(2835, 42);
  file.writeUInt32LE(0, 46);
  file.writeUInt32LE(0, 50);
  return file;
}
