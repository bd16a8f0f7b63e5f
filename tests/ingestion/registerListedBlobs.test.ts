import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { taskIdFor } from '../../shared/domain/task';
import type { BlobGateway, BlobLocation } from '../../shared/ports/blobGateway';
import { IngestionService } from '../../shared/services/ingestion';
import { createProject, createdChange, seq, startHarness, type Harness } from './harness';
import { jpeg, png } from './images';

// registerListedBlobs is what backfill and reconciliation call for each listing page.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const location = (container: string): BlobLocation => ({ connectionSetting: 'AzureWebJobsStorage', container });

async function listAll(container: string) {
  return (await h.blobs.listBlobs(location(container), '', 5000)).items;
}

describe('registerListedBlobs', () => {
  it('registers new images, records rejects with reasons, and counts blobs the project already has', async () => {
    const c = 'listing';
    const project = await createProject(h.store, 'listing', { container: c });
    const container = await h.container(c);
    for (let i = 0; i < 5; i++) await container.uploadBlockBlob(`img/${i}.png`, ...sized(await png(20 + i, 10)));
    await container.uploadBlockBlob('img/fake.jpg', ...sized(Buffer.from('plain text')));
    await container.uploadBlockBlob('notes.txt', ...sized(Buffer.from('notes')));
    await container.uploadBlockBlob('from-event.jpg', ...sized(await jpeg(8, 8)));
    const service = new IngestionService({ store: h.store, blobs: h.blobs });
    await service.onBlobCreated(createdChange(c, 'from-event.jpg', { sequencer: seq(7) }));

    const listed = await listAll(c);
    expect(listed).toHaveLength(8);
    expect(await service.registerListedBlobs(project, listed)).toEqual({ registered: 5, alreadyKnown: 1, rejected: 2 });

    const task = async (p: string) => (await h.store.tasks.get('listing', taskIdFor(c, p)))?.value;
    expect(await task('img/3.png')).toMatchObject({
      state: 'new',
      width: 23,
      height: 10,
      sequencer: '',
      sizeBytes: expect.any(Number),
    });
    expect(await task('img/fake.jpg')).toMatchObject({
      state: 'rejected',
      rejectReason: expect.stringMatching(/^not a supported image format/),
    });
    expect(await task('notes.txt')).toMatchObject({
      state: 'rejected',
      rejectReason: expect.stringMatching(/"\.txt" is not accepted/),
    });
    // The event's record stands: a listing carries no sequencer and never overrides one.
    expect(await task('from-event.jpg')).toMatchObject({ sequencer: seq(7) });
    expect((await h.store.tasks.counters('listing')).byState).toMatchObject({ new: 6, rejected: 2 });

    // Listing the same container again (refresh, reconciliation) reads no blob at all.
    const readsBefore = h.blobs.reads.length;
    expect(await service.registerListedBlobs(project, listed)).toEqual({ registered: 0, alreadyKnown: 8, rejected: 0 });
    expect(h.blobs.reads.length).toBe(readsBefore);
  });

  it('leaves out a listed blob that is deleted before its header is read', async () => {
    const c = 'listing-gone';
    const project = await createProject(h.store, 'listing-gone', { container: c });
    const container = await h.container(c);
    await container.uploadBlockBlob('stays.png', ...sized(await png(4, 4)));
    await container.uploadBlockBlob('goes.png', ...sized(await png(4, 4)));
    const listed = await listAll(c);
    await container.deleteBlob('goes.png');
    const service = new IngestionService({ store: h.store, blobs: h.blobs });
    expect(await service.registerListedBlobs(project, listed)).toEqual({ registered: 1, alreadyKnown: 0, rejected: 0 });
    expect(await h.store.tasks.get('listing-gone', taskIdFor(c, 'goes.png'))).toBeUndefined();
  });

  it('reads headers with bounded concurrency and writes the page in one mutateTasks call', async () => {
    const c = 'listing-many';
    const project = await createProject(h.store, 'listing-many', { container: c });
    const container = await h.container(c);
    const image = await png(3, 2);
    await Promise.all(Array.from({ length: 40 }, (_, i) => container.uploadBlockBlob(`${i}.png`, ...sized(image))));

    let inFlight = 0;
    let maxInFlight = 0;
    const counting: BlobGateway = Object.create(h.blobs);
    counting.readHead = async (...args) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await h.blobs.readHead(...args);
      } finally {
        inFlight--;
      }
    };
    const mutateTasks = vi.spyOn(h.store.tasks, 'mutateMany');
    const service = new IngestionService({ store: h.store, blobs: counting, listingConcurrency: 4 });
    try {
      expect(await service.registerListedBlobs(project, await listAll(c))).toEqual({
        registered: 40,
        alreadyKnown: 0,
        rejected: 0,
      });
      expect(mutateTasks).toHaveBeenCalledTimes(1);
    } finally {
      mutateTasks.mockRestore();
    }
    expect(maxInFlight).toBe(4);
  });
});

function sized(body: Buffer): [Buffer, number] {
  return [body, body.length];
}
