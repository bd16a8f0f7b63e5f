import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextBlockPool } from '../../shared/util/textBlocks';

// The byte blocks an export's chunks are rendered into (shared/util/textBlocks.ts): whatever is appended, in any
// pieces, the bytes are the UTF-8 of the non-empty pieces joined by the separator, also when the buffer had to grow
// and when it is a buffer an earlier block used; a released block cannot be written or read any more.

const piece = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, astral ones as surrogate pairs
  fc.constant(''),
  fc.integer({ min: 1, max: 400_000 }).map((n) => 'é'.repeat(n)), // past the first buffer's 256 KB
);

describe('text blocks', () => {
  it('hold the UTF-8 of the non-empty pieces joined by the separator, across growth and reuse', () => {
    const pool = new TextBlockPool();
    fc.assert(
      fc.property(
        fc.array(fc.array(piece, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', ',', '\n', '→'),
        (blocks, separator) => {
          // Several blocks at once, as a chunk has one per document and section, then handed back for the next run.
          const open = blocks.map((pieces) => {
            const block = pool.acquire(separator);
            for (const p of pieces) block.append(p);
            return { block, pieces };
          });
          for (const { block, pieces } of open) {
            const expected = Buffer.from(pieces.filter((p) => p !== '').join(separator));
            expect(Buffer.from(block.bytes()).equals(expected)).toBe(true);
            expect(block.empty).toBe(expected.length === 0);
            expect(block.byteLength).toBe(expected.length);
          }
          for (const { block } of open) pool.release(block);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cannot be used once released, and a second release hands nothing back twice', () => {
    const pool = new TextBlockPool();
    const block = pool.acquire(',');
    block.append('a');
    pool.release(block);
    const retained = pool.retainedBytes;
    pool.release(block);
    expect(pool.retainedBytes).toBe(retained);
    expect(() => block.append('b')).toThrow(/released/);
    expect(() => block.bytes()).toThrow(/released/);
    // The next two blocks get different buffers: one reused, one new.
    const [x, y] = [pool.acquire(), pool.acquire()];
    x.append('x');
    y.append('y');
    expect([Buffer.from(x.bytes()).toString(), Buffer.from(y.bytes()).toString()]).toEqual(['x', 'y']);
  });

  it('keeps no more than it is allowed to for reuse', () => {
    const pool = new TextBlockPool(600 * 1024);
    const blocks = Array.from({ length: 4 }, () => pool.acquire());
    for (const b of blocks) pool.release(b);
    expect(pool.retainedBytes).toBe(512 * 1024);
  });
});
