import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setServices } from '../../adapters/composition';
import { ingestBlobEvents, resetIngestion } from '../../functions/ingestBlobEvents';
import { taskIdFor, type Task } from '../../shared/domain/task';
import { cloudEventSample, eventGridSample, type EventGridSchemaEvent } from '../fixtures/events/azureSamples';
import {
  asCloudEvent,
  blobEvent,
  createProject,
  fromOurAccount,
  invocation,
  seq,
  shuffled,
  startHarness,
  type Harness,
} from './harness';
import { bmp, jpeg, jpegWithExif, jpegWithHeaderBeyond, png, tiff, webp } from './images';

// The eventGridTrigger handler, called as the host calls it (one parsed event per invocation), on Azurite + SQLite.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  setServices({ store: h.store, blobs: h.blobs });
});
afterAll(async () => {
  setServices(undefined);
  resetIngestion();
  await h?.stop();
});

async function project(id: string, dataset: Parameters<typeof createProject>[2], status?: 'archived') {
  const p = await createProject(h.store, id, dataset, status);
  resetIngestion(); // a fresh service sees the new project at once (the cache's staleness is tested separately)
  return p;
}

async function deliver(event: unknown) {
  const { context, logs } = invocation();
  await ingestBlobEvents(event, context);
  return logs;
}

async function task(projectId: string, container: string, blobPath: string): Promise<Task | undefined> {
  return (await h.store.tasks.get(projectId, taskIdFor(container, blobPath)))?.value;
}

async function allTasks(projectId: string): Promise<Task[]> {
  return (await h.store.tasks.list(projectId, { limit: 1000 })).items;
}

async function upload(container: string, blobPath: string, body: Buffer, contentType = 'application/octet-stream') {
  const client = (await h.container(container)).getBlockBlobClient(blobPath);
  const res = await client.uploadData(body, { blobHTTPHeaders: { blobContentType: contentType } });
  return { eTag: res.etag!, contentLength: body.length, contentType };
}

describe("Azure's documented sample events", () => {
  it('register the sample BlobCreated (a .txt file) as a rejected task in both schemas, with the reason', async () => {
    await project('samples-eg', { container: 'test-container' });
    await deliver(fromOurAccount(eventGridSample('blobCreated')));
    const t = await task('samples-eg', 'test-container', 'new-file.txt');
    expect(t).toMatchObject({
      state: 'rejected',
      blobPath: 'new-file.txt',
      sizeBytes: 524288,
      sequencer: '00000000000004420000000000028963',
      rejectReason: expect.stringMatching(/^the extension "\.txt" is not accepted by this project \(accepted: jpg, /),
    });

    // A project that accepts .txt reads the blob: its content is text, so the reason says so.
    await project('samples-ce', { container: 'test-container', extensions: ['txt'] });
    await upload('test-container', 'new-file.txt', Buffer.from('hello'), 'text/plain');
    await deliver(fromOurAccount(cloudEventSample('blobCreated')));
    expect(await task('samples-ce', 'test-container', 'new-file.txt')).toMatchObject({
      state: 'rejected',
      rejectReason: expect.stringMatching(/^not a supported image format/),
    });
  });

  it('create image tasks from the samples pointed at real images, in both schemas', async () => {
    await project('samples-img', { container: 'test-container', prefix: 'img/' });
    await upload('test-container', 'img/a.png', await png(64, 48));
    await upload('test-container', 'img/b.jpg', await jpeg(30, 20));
    const eg = fromOurAccount(eventGridSample('blobCreated'));
    eg.subject = '/blobServices/default/containers/test-container/blobs/img/a.png';
    const ce = fromOurAccount(cloudEventSample('blobCreated'));
    ce.subject = '/blobServices/default/containers/test-container/blobs/img/b.jpg';
    await deliver(eg);
    await deliver(ce);
    expect(await task('samples-img', 'test-container', 'img/a.png')).toMatchObject({
      state: 'new',
      width: 64,
      height: 48,
    });
    expect(await task('samples-img', 'test-container', 'img/b.jpg')).toMatchObject({
      state: 'new',
      width: 30,
      height: 20,
    });
    expect(await allTasks('samples-img')).toHaveLength(2);
  });

  it('apply the sample BlobDeleted in both schemas, and ignore events that are not blob changes', async () => {
    await project('samples-del', { container: 'testcontainer' });
    await deliver(fromOurAccount(eventGridSample('blobDeleted')));
    await deliver(fromOurAccount(cloudEventSample('blobDeleted')));
    expect(await task('samples-del', 'testcontainer', 'file-to-delete.txt')).toMatchObject({
      state: 'removed',
      sequencer: '0000000000000281000000000002F5CA',
    });
    const logs = [
      ...(await deliver(fromOurAccount(eventGridSample('blobTierChanged')))),
      ...(await deliver(fromOurAccount(cloudEventSample('sftpCommit')))),
    ];
    expect(logs.join('\n')).toMatch(/BlobTierChanged" is not a blob create or delete/);
    expect(logs.join('\n')).toMatch(/SftpCommit is not a committed upload/);
    expect(await allTasks('samples-del')).toHaveLength(1);
  });

  it('ignore events from another storage account, even for a container of the same name', async () => {
    await project('foreign', { container: 'test-container', prefix: 'foreign/' });
    await upload('test-container', 'foreign/a.png', await png(8, 8));
    const foreign = eventGridSample('blobCreated'); // its topic names 'my-storage-account'
    foreign.subject = '/blobServices/default/containers/test-container/blobs/foreign/a.png';
    const ce = cloudEventSample('blobCreated');
    ce.subject = foreign.subject;
    await deliver(foreign);
    await deliver(ce);
    expect(await allTasks('foreign')).toEqual([]);
    // The same event from the project's own account registers the image, with a URL on that account.
    await deliver(fromOurAccount(foreign));
    const t = await task('foreign', 'test-container', 'foreign/a.png');
    expect(t).toMatchObject({ state: 'new', width: 8 });
    expect(new URL(t!.blobUrl).pathname).toBe('/devstoreaccount1/test-container/foreign/a.png');
  });

  it('build the task URL from the project and the subject, never from data.url', async () => {
    await project('url-from-subject', { container: 'test-container', prefix: 'urls/' });
    await upload('test-container', 'urls/b.png', await png(8, 8));
    const event = fromOurAccount(eventGridSample('blobCreated'));
    event.subject = '/blobServices/default/containers/test-container/blobs/urls/b.png';
    (event.data as { url: string }).url = 'https://evil.example/steal?x=1';
    await deliver(event);
    const t = await task('url-from-subject', 'test-container', 'urls/b.png');
    expect(t?.blobUrl).not.toMatch(/evil/);
    expect(new URL(t!.blobUrl).pathname).toBe('/devstoreaccount1/test-container/urls/b.png');
  });

  it('drop an event whose subject does not parse (e.g. a ../ segment) with a log line, not a failure', async () => {
    await project('traversal', { container: 'test-container' });
    const logs: string[] = [];
    for (const subject of [
      '/blobServices/default/containers/test-container/blobs/../../secrets.png',
      '/blobServices/default/containers/test-container/blobs/a/./b.png',
      '/blobServices/default/containers/test-container/blobs/a\\b.png',
      '/blobServices/default/containers/test-container/blobs/a\u0000.png',
    ]) {
      const event = fromOurAccount(eventGridSample('blobCreated'));
      event.subject = subject;
      logs.push(...(await deliver(event))); // resolves: Event Grid is answered 200 and does not retry
    }
    expect(logs.filter((l) => /does not name a blob/.test(l))).toHaveLength(4);
    expect(await allTasks('traversal')).toEqual([]);
  });

  it('log and drop a malformed envelope instead of failing (a retry could never succeed)', async () => {
    const { topic: _missing, ...noTopic } = eventGridSample('blobCreated');
    const logs = [...(await deliver(noTopic)), ...(await deliver('not json'))];
    expect(logs.join('\n')).toMatch(/malformed Event Grid event: event is missing required property 'topic'/);
  });
});

describe('redelivery and reordering', () => {
  it('converges on exact tasks when every event arrives 3 times in shuffled order', async () => {
    const c = 'shuffle';
    await project('shuffle', { container: c });
    const events: EventGridSchemaEvent[] = [];
    let n = 0;
    const put = async (name: string, body: Buffer) => {
      const u = await upload(c, name, body);
      events.push(blobEvent('created', c, name, { sequencer: seq(++n), ...u }));
    };
    const del = async (name: string) => {
      await (await h.container(c)).deleteBlob(name);
      events.push(blobEvent('deleted', c, name, { sequencer: seq(++n) }));
    };
    for (let i = 0; i < 12; i++) await put(`img-${i}.png`, await png(10 + i, 20 + i));
    for (const i of [3, 4, 5]) await del(`img-${i}.png`);
    await put('img-3.png', await png(300, 200)); // re-created after its delete
    await put('img-4.png', await png(400, 100));
    await put('img-7.png', await png(77, 7)); // overwritten
    await put('readme.txt', Buffer.from('not an image'));

    // Seed 1 delivers the EventGridEvent schema, seed 2 the same events again as CloudEvents: nothing changes.
    for (const seed of [1, 2]) {
      const schemaEvents = seed === 1 ? events : events.map(asCloudEvent);
      // Deliver 3× in shuffled order, eight invocations at a time (the host runs them concurrently).
      const deliveries = shuffled([...schemaEvents, ...schemaEvents, ...schemaEvents], seed);
      for (let i = 0; i < deliveries.length; i += 8) await Promise.all(deliveries.slice(i, i + 8).map(deliver));

      const tasks = await allTasks('shuffle');
      expect(tasks).toHaveLength(13);
      const byPath = Object.fromEntries(tasks.map((t) => [t.blobPath, t]));
      expect(byPath['img-5.png']).toMatchObject({ state: 'removed', sequencer: seq(15) });
      expect(byPath['img-3.png']).toMatchObject({ state: 'new', width: 300, height: 200, sequencer: seq(16) });
      expect(byPath['img-4.png']).toMatchObject({ state: 'new', width: 400, height: 100, sequencer: seq(17) });
      expect(byPath['img-7.png']).toMatchObject({ state: 'new', width: 77, height: 7, sequencer: seq(18) });
      expect(byPath['readme.txt']).toMatchObject({ state: 'rejected', sequencer: seq(19) });
      for (const i of [0, 1, 2, 6, 8, 9, 10, 11]) {
        expect(byPath[`img-${i}.png`]).toMatchObject({
          state: 'new',
          width: 10 + i,
          height: 20 + i,
          sequencer: seq(i + 1),
        });
      }
      const counters = await h.store.tasks.counters('shuffle');
      expect(counters.byState).toMatchObject({ new: 11, removed: 1, rejected: 1, assigned: 0, labeled: 0 });
    }
  });

  it('never lets a stale create resurrect a blob whose delete came first', async () => {
    const c = 'reorder';
    await project('reorder', { container: c });
    // The blob exists again (a later upload), but its first create is older than the delete.
    await upload(c, 'x.png', await png(5, 5));
    await deliver(blobEvent('deleted', c, 'x.png', { sequencer: seq(2) }));
    expect(await task('reorder', c, 'x.png')).toMatchObject({ state: 'removed' });
    await deliver(blobEvent('created', c, 'x.png', { sequencer: seq(1) }));
    expect(await task('reorder', c, 'x.png')).toMatchObject({ state: 'removed', sequencer: seq(2) });
    await deliver(blobEvent('created', c, 'x.png', { sequencer: seq(3) }));
    expect(await task('reorder', c, 'x.png')).toMatchObject({ state: 'new', width: 5, height: 5, sequencer: seq(3) });

    // A create whose blob is already gone writes nothing: its delete event records the removal.
    await deliver(blobEvent('created', c, 'never-uploaded.png', { sequencer: seq(4) }));
    expect(await task('reorder', c, 'never-uploaded.png')).toBeUndefined();
  });

  it('keeps the labels of a labeled task whose blob is deleted, and restores it when the blob returns', async () => {
    const c = 'labeled';
    await project('labeled', { container: c });
    await upload(c, 'cat.png', await png(100, 80));
    await deliver(blobEvent('created', c, 'cat.png', { sequencer: seq(1) }));
    const annotation = {
      boxes: [{ label: 'cat', x: 1, y: 2, width: 30, height: 40 }],
      by: 'ann@example.com',
      at: '2024-01-02T00:00:00.000Z',
    };
    await h.store.tasks.mutate('labeled', taskIdFor(c, 'cat.png'), (t) => ({
      kind: 'write',
      task: { ...t!, state: 'labeled', annotation },
    }));

    await deliver(blobEvent('deleted', c, 'cat.png', { sequencer: seq(2) }));
    expect(await task('labeled', c, 'cat.png')).toMatchObject({
      state: 'removed',
      stateBeforeRemoval: 'labeled',
      annotation,
    });
    expect((await h.store.tasks.counters('labeled')).byState).toMatchObject({ labeled: 0, removed: 1 });

    await deliver(blobEvent('created', c, 'cat.png', { sequencer: seq(3) }));
    expect(await task('labeled', c, 'cat.png')).toMatchObject({ state: 'labeled', annotation });
  });
});

describe('ADLS Gen2 events', () => {
  it('register FlushWithClose, ignore the empty CreateFile, and remove on DeleteFile', async () => {
    const c = 'my-file-system';
    await project('adls', { container: c });
    await upload(c, 'new-file.png', await png(12, 34));
    const createFile = fromOurAccount(eventGridSample('adlsCreateFile'));
    createFile.subject = '/blobServices/default/containers/my-file-system/blobs/new-file.png';
    const flush = fromOurAccount(cloudEventSample('adlsFlushWithClose'));
    flush.subject = createFile.subject;

    expect((await deliver(createFile)).join('\n')).toMatch(/CreateFile of an empty file/);
    expect(await allTasks('adls')).toHaveLength(0);
    await deliver(flush);
    expect(await task('adls', c, 'new-file.png')).toMatchObject({
      state: 'new',
      width: 12,
      height: 34,
      // The blob endpoint of the project's own account and the subject's path (the event's dfs URL is not used).
      blobUrl: expect.stringMatching(/\/devstoreaccount1\/my-file-system\/new-file\.png$/),
    });

    const deleteFile = fromOurAccount(eventGridSample('adlsDeleteFile'));
    deleteFile.subject = createFile.subject;
    deleteFile.data.sequencer = '00000000000004420000000000028965';
    await deliver(deleteFile);
    expect(await task('adls', c, 'new-file.png')).toMatchObject({ state: 'removed', width: 12, height: 34 });
  });
});

describe('blobs that cannot be labeled are recorded as rejected, with the reason', () => {
  it.each([
    ['notes.txt', Buffer.from('a note'), /^the extension "\.txt" is not accepted by this project/],
    ['README', Buffer.from('readme'), /^the file name has no extension/],
    ['photo.jpg', Buffer.from('<html>this is a web page, not a photo</html>'), /^not a supported image format/],
    [
      'corrupt.jpg',
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(500, 0xab)]),
      /^unreadable JPEG header/,
    ],
    ['empty.png', Buffer.alloc(0), /^the blob is empty/],
  ])('%s', async (name, body, reason) => {
    const c = 'rejects';
    await project('rejects', { container: c });
    const u = await upload(c, name, body);
    await deliver(blobEvent('created', c, name, { sequencer: seq(1), ...u }));
    const t = await task('rejects', c, name);
    expect(t).toMatchObject({ state: 'rejected', width: null, height: null });
    expect(t!.rejectReason).toMatch(reason);
  });
});

describe('dimensions from a ranged read of the header', () => {
  it.each([
    ['a.png', () => png(640, 427), 640, 427],
    ['b.jpg', () => jpegWithExif(1024, 768), 1024, 768],
    ['c.webp', () => webp(321, 123), 321, 123],
    ['d.bmp', async () => bmp(77, 33), 77, 33],
    ['e.tif', () => tiff(120, 90), 120, 90],
  ] as const)('%s', async (name, make, width, height) => {
    const c = 'dims';
    await project('dims', { container: c });
    await upload(c, name, await make());
    await deliver(blobEvent('created', c, name, { sequencer: seq(1) }));
    expect(await task('dims', c, name)).toMatchObject({ state: 'new', width, height });
    expect(h.blobs.readsOf(name)).toEqual([128 * 1024]);
  });

  it('reads further, not whole, when the frame header lies beyond the first 128 KiB', async () => {
    const c = 'dims-far';
    await project('dims-far', { container: c });
    const image = await jpegWithHeaderBeyond(800, 600, 300_000);
    expect(image.length).toBeGreaterThan(300_000);
    await upload(c, 'far.jpg', image);
    await deliver(blobEvent('created', c, 'far.jpg', { sequencer: seq(1) }));
    expect(await task('dims-far', c, 'far.jpg')).toMatchObject({ state: 'new', width: 800, height: 600 });
    expect(h.blobs.readsOf('far.jpg')).toEqual([128 * 1024, 1024 * 1024]);
  });

  it('reads up to where a TIFF says its directory is, and stops at 4 MiB', async () => {
    const c = 'dims-tiff';
    await project('dims-tiff', { container: c });
    await upload(c, 'mid.tiff', await tiff(800, 600)); // 1.4 MB of pixels before the directory
    await upload(c, 'huge.tiff', await tiff(1600, 1000)); // 4.8 MB
    await deliver(blobEvent('created', c, 'mid.tiff', { sequencer: seq(1) }));
    await deliver(blobEvent('created', c, 'huge.tiff', { sequencer: seq(2) }));
    expect(await task('dims-tiff', c, 'mid.tiff')).toMatchObject({ state: 'new', width: 800, height: 600 });
    const huge = await task('dims-tiff', c, 'huge.tiff');
    expect(huge).toMatchObject({ state: 'rejected' });
    expect(huge!.rejectReason).toMatch(/TIFF.*no dimensions in the first 4 MiB/);
    expect(Math.max(...h.blobs.readsOf('huge.tiff'))).toBe(4 * 1024 * 1024);
  });
});

describe('projects', () => {
  it('gives a blob to every non-archived project whose container and prefix hold it, reading it once', async () => {
    const c = 'shared';
    await createProject(h.store, 'shared-all', { container: c });
    await createProject(h.store, 'shared-val', { container: c, prefix: 'val/' });
    await createProject(h.store, 'shared-train', { container: c, prefix: 'train/' });
    await createProject(h.store, 'shared-old', { container: c }, 'archived');
    resetIngestion();
    await upload(c, 'val/1.png', await png(9, 9));
    await deliver(blobEvent('created', c, 'val/1.png', { sequencer: seq(1) }));
    expect(await task('shared-all', c, 'val/1.png')).toMatchObject({ state: 'new' });
    expect(await task('shared-val', c, 'val/1.png')).toMatchObject({ state: 'new' });
    expect(await task('shared-train', c, 'val/1.png')).toBeUndefined();
    expect(await task('shared-old', c, 'val/1.png')).toBeUndefined();
    expect(h.blobs.readsOf('val/1.png')).toHaveLength(1);
  });

  it('fails the invocation (so Event Grid retries) when storage fails, writing nothing', async () => {
    const c = 'flaky';
    await project('flaky', { container: c });
    const failing = Object.create(h.blobs) as typeof h.blobs;
    failing.readHead = () => Promise.reject(new Error('503 Server Busy'));
    setServices({ store: h.store, blobs: failing });
    resetIngestion();
    try {
      await expect(deliver(blobEvent('created', c, 'a.png', { sequencer: seq(1) }))).rejects.toThrow('503 Server Busy');
      expect(await allTasks('flaky')).toHaveLength(0);
    } finally {
      setServices({ store: h.store, blobs: h.blobs });
      resetIngestion();
    }
  });
});
