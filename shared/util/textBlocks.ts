/**
 * Text written straight into reusable byte buffers, for blocks that are uploaded and then forgotten (an export's
 * parts). Joining a chunk's text into one string and copying that into a new Buffer for the upload left two large
 * objects per block behind: the string in V8's old generation (and everything that was still referenced across the
 * upload's awaits, promoted with it), the Buffer outside it. At a COCO train2017 export's pace that was 20 MB/s of
 * promoted garbage, and V8 let the old generation grow to four times its live size before collecting it: the host's
 * peak RSS (bench/exportCoco.mjs). Here each piece of text is encoded into a pooled buffer as soon as it is made, so
 * nothing of a chunk but its bytes outlives the synchronous step that rendered it.
 */
export class TextBlock {
  #buffer: Buffer | undefined;
  #length = 0;
  readonly #separator: string;

  /** @internal Made by a TextBlockPool. */
  constructor(buffer: Buffer, separator: string) {
    this.#buffer = buffer;
    this.#separator = separator;
  }

  /** Appends `text`, after the separator when the block already holds text; empty text adds nothing. */
  append(text: string): void {
    if (text === '') return;
    if (this.#length > 0 && this.#separator !== '') this.#write(this.#separator);
    this.#write(text);
  }

  get empty(): boolean {
    return this.#length === 0;
  }

  get byteLength(): number {
    return this.#length;
  }

  /** The block's bytes: a view of the pooled buffer, valid until the block is released. */
  bytes(): Uint8Array {
    return this.#live().subarray(0, this.#length);
  }

  /** @internal Gives up the buffer it ends with (it may have grown), once: the pool's release. */
  detach(): Buffer | undefined {
    const buffer = this.#buffer;
    this.#buffer = undefined;
    return buffer;
  }

  #live(): Buffer {
    if (!this.#buffer) throw new Error('text block used after it was released');
    return this.#buffer;
  }

  #write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: count exactly only when that much room is not there.
    if (this.#live().length - this.#length < text.length * 3) this.#reserve(Buffer.byteLength(text));
    this.#length += this.#live().write(text, this.#length);
  }

  #reserve(bytes: number): void {
    const buffer = this.#live();
    const needed = this.#length + bytes;
    if (needed <= buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, buffer.length * 2));
    buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}

const initialBytes = 256 * 1024;

/** Buffers handed back by released blocks, reused by the next; at most `retainBytes` of them are kept. */
export class TextBlockPool {
  readonly #free: Buffer[] = [];
  readonly #retainBytes: number;
  #retained = 0;

  constructor(retainBytes = 16 * 1024 * 1024) {
    this.#retainBytes = retainBytes;
  }

  acquire(separator = ''): TextBlock {
    const buffer = this.#free.pop();
    if (buffer) this.#retained -= buffer.length;
    return new TextBlock(buffer ?? Buffer.allocUnsafeSlow(initialBytes), separator);
  }

  /** Hands the block's buffer back; the block and any view of its bytes must not be used after this. */
  release(block: TextBlock): void {
    const buffer = block.detach();
    if (!buffer || this.#retained + buffer.length > this.#retainBytes) return;
    this.#retained += buffer.length;
    this.#free.push(buffer);
  }

  /** Bytes held for reuse. */
  get retainedBytes(): number {
    return this.#retained;
  }
}
