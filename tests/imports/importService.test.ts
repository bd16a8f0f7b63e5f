import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosStore } from '../../adapters/cosmos/cosmosStore';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { decideSubmit } from '../../shared/domain/labeling';
import type { BlobGateway } from '../../shared/ports/blobGateway';
import type { Store } from '../../shared/ports/store';
import { ImportService } from '../../shared/services/imports';
import { maxImportBlobBytes } from '../../shared/services/importSource';
import { startCosmosServer, type RunningCosmosServer } from '../store/cosmosServer';
import { aProject, blobCreated, facts } from '../store/storeFixtures';
import { cocoDataset, type KnownImage } from './documents';

// The import service on both store adapters (embedded SQLite, Cosmos DB through cosmosdb-server): more images than
// one write chunk, the counters in step with what was written, a re-run that writes nothing, a person's label kept.
// Inline files only: blob sources are covered over HTTP with Azurite (importsOverHttp.test.ts).

let server: RunningCosmosServer;
beforeAll(async () => {
  server = await startCosmosServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const noBlobs = new Proxy({} as BlobGateway, {
  get: () => () => Promise.reject(new Error('inline imports read no blob')),
});

const stores: Array<[string, () => { store: Store; cleanup: () => Promise<void> }]> = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'imports-'));
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
      const store = createCosmosStore({ ...server.env, COSMOS_DATABASE: `imports-${Date.now()}` });
      return { store, cleanup: () => store.close() };
    },
  ],
];

describe.each(stores)('imports on the %s store', (_name, open) => {
  it('labels more images than one write chunk, keeps the counters right, and repeats as a no-op', async () => {
    const { store, cleanup } = open();
    try {
      const project = aProject('imp');
      await store.projects.insert(project);
      const count = 620;
      const images: KnownImage[] = Array.from({ length: count }, (_, i) => ({
        fileName: `img-${i}.jpg`,
        width: 640,
        height: 480,
        boxes: [{ label: i % 2 ? 'cat' : 'dog', x: i % 300, y: 10, width: 50, height: 40 }],
      }));
      await store.tasks.mutateMany(
        'imp',
        images.map((img, i) => blobCreated('imp', facts(img.fileName, i + 1))),
      );
      // A person labels one image differently first.
      const mine = (await store.tasks.list('imp', { limit: 1 })).items[0]!;
      await store.tasks.mutate('imp', mine.id, (t) =>
        decideSubmit(
          { ...t!, state: 'assigned', assignment: { batchId: 'b', labelerId: 'lena', leaseExpiresAt: '' } },
          { boxes: [{ label: 'cat', x: 1, y: 1, width: 5, height: 5 }] },
          { labelerId: 'lena', now: '2026-12-01T00:00:00.000Z' },
        ),
      );

      const service = new ImportService({ store, blobs: noBlobs });
      const request = {
        format: 'coco' as const,
        source: { inline: cocoDataset(images, ['cat', 'dog']) },
        dryRun: false,
      };
      const first = await service.run(project, request);
      expect(first.kind).toBe('done');
      if (first.kind !== 'done') return;
      expect(first.report.result).toMatchObject({ written: count - 1, unchanged: 0, leftAlone: { conflict: 1 } });
      expect((await store.tasks.counters('imp')).byState).toMatchObject({ labeled: count, new: 0 });
      expect((await store.tasks.recountCounters('imp')).drift).toEqual({});
      expect((await store.tasks.get('imp', mine.id))!.value.annotation).toMatchObject({ by: 'lena' });

      const again = await service.run(project, request);
      expect(again.kind === 'done' && again.report.result).toMatchObject({ written: 0, unchanged: count - 1 });
    } finally {
      await cleanup();
    }
  }, 120_000);
});

describe('reading a blob source', () => {
  const project = aProject('imp');
  const gateway = (bytes: Buffer | undefined, asked: number[]) =>
    ({
      readHead: (_at: unknown, _path: string, n: number) => {
        asked.push(n);
        return Promise.resolve(bytes?.subarray(0, n));
      },
    }) as unknown as BlobGateway;

  it('refuses a blob over the cap having read one byte past it, naming the field', async () => {
    const asked: number[] = [];
    const outcome = await new ImportService({
      store: {} as Store,
      blobs: gateway(Buffer.alloc(maxImportBlobBytes + 10), asked),
    }).run(project, { format: 'coco', source: { blobPath: 'big.json' }, dryRun: false });
    expect(outcome).toMatchObject({ kind: 'refused', status: 413, field: 'source.blobPath' });
    expect(asked).toEqual([maxImportBlobBytes + 1]);
  });

  it('takes a blob of exactly the cap', async () => {
    const doc = Buffer.from(JSON.stringify({ images: [], annotations: [], categories: [] }));
    const file = Buffer.concat([doc, Buffer.alloc(maxImportBlobBytes - doc.length, ' ')]);
    const outcome = await new ImportService({ store: {} as Store, blobs: gateway(file, []) }).run(project, {
      format: 'coco',
      source: { blobPath: 'exact.json' },
      dryRun: true,
    });
    expect(outcome).toMatchObject({ kind: 'done', report: { images: 0 } });
  });
});
