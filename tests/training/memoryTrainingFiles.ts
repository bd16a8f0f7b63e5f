import type { TrainingFiles } from '../../shared/ports/trainingFiles';

/** TrainingFiles in a Map: the training container as the tests (and the fake Azure ML's "jobs") write it. */
export class MemoryTrainingFiles implements TrainingFiles {
  readonly blobs = new Map<string, { body: Buffer; contentType: string }>();

  async write(path: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    this.blobs.set(path, { body: Buffer.from(body), contentType });
  }

  async writeIfAbsent(path: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<boolean> {
    if (this.blobs.has(path)) return false;
    await this.write(path, body, contentType);
    return true;
  }

  async read(path: string): Promise<Buffer | undefined> {
    return this.blobs.get(path)?.body;
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.blobs.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  async delete(path: string): Promise<void> {
    this.blobs.delete(path);
  }

  readonly staged = new Map<string, string>();

  async stageBlock(path: string, blockId: string, body: string | Uint8Array): Promise<void> {
    // Decoded now: the caller may reuse the bytes once the promise settles, as the real adapter allows.
    this.staged.set(`${path}\u0000${blockId}`, typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  }

  async commitBlocks(path: string, blockIds: readonly string[], contentType: string): Promise<void> {
    const parts = blockIds.map((id) => {
      const body = this.staged.get(`${path}\u0000${id}`);
      if (body === undefined) throw new Error(`block ${id} of ${path} was never staged`);
      return body;
    });
    await this.write(path, parts.join(''), contentType);
  }

  async readUrl(path: string, minutes: number): Promise<{ url: string; expiresAt: string }> {
    return { url: `memory:///${path}`, expiresAt: new Date(Date.now() + minutes * 60_000).toISOString() };
  }
}
