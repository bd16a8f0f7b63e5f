import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseImageHeader } from '../../shared/services/imageHeader';
import { bmp, gif, jpeg, jpegWithExif, jpegWithHeaderBeyond, png, sofOffset, tiff, webp } from './images';

const whole = (bytes: Buffer) => parseImageHeader(bytes, true);

describe('parseImageHeader reads dimensions', () => {
  it.each([
    ['PNG', () => png(640, 427), 'png', 640, 427],
    ['JPEG', () => jpeg(333, 500), 'jpg', 333, 500],
    ['JPEG with a 60 KB EXIF block', () => jpegWithExif(1024, 768), 'jpg', 1024, 768],
    ['lossy WebP', () => webp(321, 123), 'webp', 321, 123],
    ['lossless WebP', () => webp(17, 999, true), 'webp', 17, 999],
    ['BMP', async () => bmp(77, 33), 'bmp', 77, 33],
    ['TIFF', () => tiff(500, 375), 'tiff', 500, 375],
  ] as const)('%s', async (_name, make, type, width, height) => {
    expect(whole(await make())).toEqual({ kind: 'image', header: { type, width, height } });
  });

  it('reports the EXIF orientation of a JPEG (viewers show 5–8 rotated)', async () => {
    const result = whole(await jpegWithExif(300, 200, 2_000, 6));
    expect(result).toEqual({ kind: 'image', header: { type: 'jpg', width: 300, height: 200, orientation: 6 } });
  });

  it('finds a JPEG frame header behind a big EXIF block in the first 128 KiB', async () => {
    const image = await jpegWithExif(1920, 1080);
    expect(sofOffset(image)).toBeGreaterThan(59_000);
    expect(parseImageHeader(image.subarray(0, 128 * 1024), false)).toMatchObject({ kind: 'image' });
  });
});

describe('parseImageHeader on a prefix', () => {
  let farJpeg: Buffer;
  let bigTiff: Buffer;
  beforeAll(async () => {
    farJpeg = await jpegWithHeaderBeyond(640, 480, 200_000);
    bigTiff = await tiff(800, 600);
  });

  it('asks for more bytes when the JPEG frame header lies beyond the prefix, and reads it from the whole file', () => {
    const prefix = parseImageHeader(farJpeg.subarray(0, 128 * 1024), false);
    expect(prefix).toMatchObject({ kind: 'incomplete', reason: expect.stringMatching(/^unreadable JPEG header/) });
    expect(whole(farJpeg)).toEqual({ kind: 'image', header: { type: 'jpg', width: 640, height: 480 } });
  });

  it('tells how far to read for a TIFF whose directory follows the pixels', () => {
    const le = bigTiff.toString('latin1', 0, 2) === 'II';
    const directoryAt = le ? bigTiff.readUInt32LE(4) : bigTiff.readUInt32BE(4);
    expect(directoryAt).toBeGreaterThan(1_000_000);
    const prefix = parseImageHeader(bigTiff.subarray(0, 64 * 1024), false);
    expect(prefix.kind).toBe('incomplete');
    const needed = prefix.kind === 'incomplete' ? prefix.bytesNeeded! : 0;
    expect(needed).toBeGreaterThan(directoryAt);
    expect(parseImageHeader(bigTiff.subarray(0, needed), false)).toEqual({
      kind: 'image',
      header: { type: 'tiff', width: 800, height: 600 },
    });
  });

  it('rejects a bad PNG, BMP or WebP header from a prefix: their size never lies beyond byte 30', async () => {
    const image = Buffer.from(await png(8, 8));
    image.writeUInt32BE(0, 16);
    expect(parseImageHeader(image.subarray(0, 64), false)).toMatchObject({ kind: 'rejected' });
  });

  it('rejects at once what no longer prefix can fix: another format, or no image at all', async () => {
    const gifPrefix = parseImageHeader((await gif(10, 10)).subarray(0, 12), false);
    expect(gifPrefix).toEqual({ kind: 'rejected', reason: expect.stringMatching(/GIF.*not a supported image format/) });
    const text = parseImageHeader(Buffer.from('{"not": "an image"}'.repeat(100)), false);
    expect(text).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^not a supported image format/) });
  });
});

describe('parseImageHeader rejects unusable files with a reason', () => {
  it.each([
    ['an empty file', () => Buffer.alloc(0), /^the blob is empty/],
    ['text named like an image', () => Buffer.from('hello, this is not a picture\n'), /^not a supported image format/],
    ['HTML', () => Buffer.from('<!DOCTYPE html><html><body>404</body></html>'), /^not a supported image format/],
    ['a GIF', () => gif(20, 20), /^the content is GIF, which is not a supported image format/],
    [
      'a JPEG whose segments are garbage',
      () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff]), Buffer.alloc(300, 0x11)]),
      /^unreadable JPEG header/,
    ],
    [
      'a JPEG cut off before its frame header',
      async () => (await jpegWithExif(64, 64)).subarray(0, 5_000),
      /^unreadable JPEG header/,
    ],
    [
      'a PNG declaring 0×0',
      async () => {
        const image = Buffer.from(await png(8, 8));
        image.writeUInt32BE(0, 16);
        image.writeUInt32BE(0, 20);
        return image;
      },
      /^the PNG header declares an invalid size \(0×0\)/,
    ],
    [
      'an OS/2 BMP',
      () => Buffer.concat([Buffer.from('BM'), Buffer.alloc(12), Buffer.from([12, 0, 0, 0]), Buffer.alloc(20)]),
      /^unsupported BMP header/,
    ],
    ['a truncated WebP', async () => (await webp(10, 10)).subarray(0, 14), /WebP/],
  ] as const)('%s', async (_name, make, reason) => {
    const result = whole(Buffer.from(await make()));
    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' && result.reason).toMatch(reason);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, complete) => {
        const result = parseImageHeader(bytes, complete);
        expect(['image', 'rejected', 'incomplete']).toContain(result.kind);
        if (result.kind === 'image') {
          expect(result.header.width).toBeGreaterThan(0);
          expect(result.header.height).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
