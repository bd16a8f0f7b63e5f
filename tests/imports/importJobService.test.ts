import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosStore } from '../../adapters/cosmos/cosmosStore';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { importIdFor, mergeResults, emptyResult, type ImportJobSpec } from '../../shared/domain/imports/importJob';
import { decideSubmit } from '../../shared/domain/labeling';
import { BlobChangedError, type BlobStreams } from '../../shared/ports/blobStreams';
import type { Store } from '../../shared/ports/store';
import { ImportJobService, importFolder } from '../../shared/services/importJobs';
import { startCosmosServer, type RunningCosmosServer } from '../store/cosmosServer';
import { aProject, blobCreated, facts } from '../store/storeFixtures';
import { MemoryTrainingFiles } from '../training/memoryTrainingFiles';
import { cocoDataset, type KnownImage } from './documents';

// The durable import's steps on both store adapters, as the orchestration runs them and as retries repeat them:
// scan (stream, check, stage chunks), apply each chunk, finish. An activity run twice, or the whole import run
// again, changes nothing; a person's label stays; a file with an issue stages nothing and writes nothing; a blob
// replaced after the request fails the read rather than mix two files.

let server: RunningCosmosServer;
beforeAll(async () => {
  server = await startCosmosServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/** Blobs held as text, each at an etag; `open` checks the etag as the Azure adapter's conditional read does. */
class TextBlobs implements BlobStreams {
  readonly blobs = new Map<string, { text: string; eTag: string }>();
  put(blobPath: string, text: string) {
    this.blobs.set(blobPath, { text, eTag: `"${this.blobs.size + 1}-${text.length}"` });
  }
  version(_at: unknown, blobPath: string) {
    const b = this.blobs.get(blobPath);
    return Promise.resolve(b && { eTag: b.eTag, sizeBytes: b.text.length });
  }
  open(_at: unknown, blobPath: string, eTag: string) {
    const b = this.blobs.get(blobPath);
    if (!b || b.eTag !== eTag) return Promise.reject(new BlobChangedError(blobPath));
    // In 64 KiB pieces, as a download arrives.
    const bytes = Buffer.from(b.text);
    const parts = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
      bytes.subarray(i * 65536, (i + 1) * 65536),
    );
    return Promise.resolve(Readable.from(parts) as unknown as AsyncIterable<Buffer> & NodeJS.ReadableStream);
  }
}

const stores: Array<[string, () => { store: Store; cleanup: () => Promise<void> }]> = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'import-jobs-'));
      const store = new SqliteStore(path.join(dir, 'labels.db'));
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'cosmos',
    () => {
      const store = createCosmosStore({ ...server.env, COSMOS_DATABASE: `import-jobs-${Date.now()}` });
      return { store, cleanup: () => store.close() };
    },
  ],
];

const count = 1250;
const images: KnownImage[] = Array.from({ length: count }, (_, i) => ({
  fileName: `img-${i}.jpg`,
  width: 640,
  height: 480,
  boxes: [{ label: i % 2 ? 'cat' : 'dog', x: i % 300, y: 10, width: 50, height: 40 }],
}));

function specFor(blobs: TextBlobs, blobPath: string): ImportJobSpec {
  const identity = {
    projectId: 'imp',
    format: 'coco' as const,
    as: 'labels' as const,
    dryRun: false,
    source: { blobPath, eTag: blobs.blobs.get(blobPath)!.eTag },
  };
  return { ...identity, importId: importIdFor(identity), requestedAt: '2026-12-01T10:00:00.000Z', requestedBy: 'ada' };
}

describe.each(stores)('blob imports on the %s store', (_name, open) => {
  it('scan, chunks, finish: re-runs change nothing, a person keeps their label, issues write nothing', async () => {
    const { store, cleanup } = open();
    try {
      await store.projects.insert(aProject('imp'));
      await store.tasks.mutateMany(
        'imp',
        images.map((img, i) => blobCreated('imp', facts(img.fileName, i + 1))),
      );
      const mine = (await store.tasks.list('imp', { limit: 1 })).items[0]!;
      await store.tasks.mutate('imp', mine.id, (t) =>
        decideSubmit(
          { ...t!, state: 'assigned', assignment: { batchId: 'b', labelerId: 'lena', leaseExpiresAt: '' } },
          { boxes: [{ label: 'cat', x: 1, y: 1, width: 5, height: 5 }] },
          { labelerId: 'lena', now: '2026-12-01T00:00:00.000Z' },
        ),
      );
      const blobs = new TextBlobs();
      const files = new MemoryTrainingFiles();
      const service = new ImportJobService({ store, blobs, files, chunkImages: 500 });

      // A file with one unknown label: refused, nothing staged, nothing written.
      const bad = structuredClone(images);
      bad[700]!.boxes[0]!.label = 'hexagon';
      blobs.put('bad.json', JSON.stringify(cocoDataset(bad, ['cat', 'dog', 'hexagon'])));
      const refused = await service.scan(specFor(blobs, 'bad.json'));
      expect(refused.kind).toBe('refused');
      expect(refused.report.issues).toMatchObject({ count: 1, byKind: { unknownCategory: 1 } });
      expect(await files.list('imp/imports/')).toEqual([]);
      expect((await store.tasks.counters('imp')).byState).toMatchObject({ labeled: 1, new: count - 1 });

      blobs.put('good.json', JSON.stringify(cocoDataset(images, ['cat', 'dog'])));
      const spec = specFor(blobs, 'good.json');
      const scanned = await service.scan(spec);
      expect(scanned).toMatchObject({ kind: 'staged', chunks: 3, images: count, report: { issues: { count: 0 } } });
      // A retried scan stages the same chunks under the same names.
      expect(await service.scan(spec)).toEqual(scanned);
      expect(await files.list(`${importFolder('imp', spec.importId)}/`)).toHaveLength(3);

      let result = emptyResult();
      for (const i of [0, 1, 2]) result = mergeResults(result, await service.applyChunk(spec, i));
      expect(result).toMatchObject({ written: count - 1, unchanged: 0, leftAlone: { conflict: 1 } });
      expect((await store.tasks.counters('imp')).byState).toMatchObject({ labeled: count, new: 0 });
      expect((await store.tasks.recountCounters('imp')).drift).toEqual({});
      expect((await store.tasks.get('imp', mine.id))!.value.annotation).toMatchObject({ by: 'lena' });

      // A chunk applied again (an activity retried after it wrote) writes nothing.
      const snapshot = JSON.stringify((await store.tasks.list('imp', { limit: 2000 })).items);
      const repeated = await service.applyChunk(spec, 1);
      expect(repeated.written).toBe(0);
      expect(repeated.unchanged + (repeated.leftAlone.conflict ?? 0)).toBe(500);
      expect(JSON.stringify((await store.tasks.list('imp', { limit: 2000 })).items)).toBe(snapshot);

      // Finishing removes the chunks; the project's default threshold (250) was crossed.
      expect(await service.finish(spec, result.written)).toBe(true);
      expect(await files.list('imp/imports/')).toEqual([]);

      // The blob uploaded anew: a new import, every image already holds its labels.
      blobs.put('good.json', JSON.stringify(cocoDataset(images, ['cat', 'dog'])));
      const again = specFor(blobs, 'good.json');
      expect(again.importId).not.toBe(spec.importId);
      const rescanned = await service.scan(again);
      expect(rescanned.kind).toBe('staged');
      let rerun = emptyResult();
      for (const i of [0, 1, 2]) rerun = mergeResults(rerun, await service.applyChunk(again, i));
      expect(rerun).toMatchObject({ written: 0, unchanged: count - 1, leftAlone: { conflict: 1 } });
      expect(JSON.stringify((await store.tasks.list('imp', { limit: 2000 })).items)).toBe(snapshot);

      // The old etag no longer reads: the run fails rather than mix two files.
      await expect(service.scan(spec)).rejects.toBeInstanceOf(BlobChangedError);
    } finally {
      await cleanup();
    }
  }, 180_000);
});
