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
}
