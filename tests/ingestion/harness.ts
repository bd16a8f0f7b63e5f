import { InvocationContext } from '@azure/functions';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { createLogger } from '../../devhost/core/logger';
import { startAzurite, type RunningAzurite } from '../../devhost/services/azurite';
import { blobSubject, toBlobChange, type BlobCreatedChange } from '../../shared/domain/blobEvent';
import { projectCreateSchema, type Project } from '../../shared/domain/project';
import type { BlobGateway, BlobLocation } from '../../shared/ports/blobGateway';
import type { CloudEventSchemaEvent, EventGridSchemaEvent } from '../fixtures/events/azureSamples';

/** Real Azurite + SQLite store for ingestion tests, plus helpers to build the events Azure would send. */
export interface Harness {
  azurite: RunningAzurite;
  store: SqliteStore;
  /** The real gateway, recording every ranged read. */
  blobs: RecordingGateway;
  service: BlobServiceClient;
  container(name: string): Promise<ContainerClient>;
  stop(): Promise<void>;
}

export class RecordingGateway implements BlobGateway {
  readonly reads: Array<{ blobPath: string; bytes: number }> = [];
  constructor(private readonly inner: BlobGateway) {}
  listBlobs(...args: Parameters<BlobGateway['listBlobs']>) {
    return this.inner.listBlobs(...args);
  }
  readHead(at: BlobLocation, blobPath: string, bytes: number) {
    this.reads.push({ blobPath, bytes });
    return this.inner.readHead(at, blobPath, bytes);
  }
  readUrl(...args: Parameters<BlobGateway['readUrl']>) {
    return this.inner.readUrl(...args);
  }
  accountName(at: BlobLocation) {
    return this.inner.accountName(at);
  }
  blobUrl(at: BlobLocation, blobPath: string) {
    return this.inner.blobUrl(at, blobPath);
  }
  readsOf(blobPath: string): number[] {
    return this.reads.filter((r) => r.blobPath === blobPath).map((r) => r.bytes);
  }
}

const quietLogger = createLogger({ write: () => {} });

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ingestion-test-'));
  const azurite = await startAzurite({ dataDir: dir, port: 0, logger: quietLogger });
  const store = new SqliteStore(path.join(dir, 'labels.db'));
  const blobs = new RecordingGateway(new AzureBlobGateway({ AzureWebJobsStorage: azurite.connectionString }));
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  return {
    azurite,
    store,
    blobs,
    service,
    async container(name) {
      const client = service.getContainerClient(name);
      await client.createIfNotExists();
      return client;
    },
    async stop() {
      await store.close();
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createProject(
  store: SqliteStore,
  id: string,
  dataset: { container: string; prefix?: string; extensions?: string[] },
  status: Project['status'] = 'active',
): Promise<Project> {
  const spec = projectCreateSchema.parse({
    id,
    name: `Project ${id}`,
    type: 'objectDetection',
    labels: [{ name: 'cat' }, { name: 'dog' }],
    dataset,
  });
  const at = '2024-01-01T00:00:00.000Z';
  const project: Project = { ...spec, id, status, createdAt: at, createdBy: 'test', updatedAt: at };
  await store.projects.insert(project);
  return project;
}

/** The resource id of the harness's storage account (Azurite's devstoreaccount1), as events from it name it. */
export const topic =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

/** A documented sample event, re-addressed as if the harness's own account had sent it. */
export function fromOurAccount<E extends { topic?: string; source?: string }>(event: E): E {
  return 'source' in event ? { ...event, source: topic } : { ...event, topic };
}
let nextEventId = 0;

/** A 32-hex-digit sequencer, as Azure formats them. */
export const seq = (n: number) => n.toString(16).toUpperCase().padStart(32, '0');

export interface BlobEventOptions {
  sequencer: string;
  api?: string;
  contentLength?: number;
  contentType?: string;
  eTag?: string;
}

/** A BlobCreated/BlobDeleted in the EventGridEvent schema, shaped like Azure's documented sample. */
export function blobEvent(
  kind: 'created' | 'deleted',
  container: string,
  blobPath: string,
  options: BlobEventOptions,
): EventGridSchemaEvent {
  const url = `http://127.0.0.1:10000/devstoreaccount1/${container}/${encodeURIComponent(blobPath).replace(/%2F/g, '/')}`;
  const data: Record<string, unknown> =
    kind === 'created'
      ? {
          api: options.api ?? 'PutBlob',
          clientRequestId: crypto.randomUUID(),
          requestId: crypto.randomUUID(),
          eTag: options.eTag ?? '"0x8D4BCC2E4835CD0"',
          contentType: options.contentType ?? 'application/octet-stream',
          contentLength: options.contentLength ?? 1,
          blobType: 'BlockBlob',
          url,
          sequencer: options.sequencer,
          storageDiagnostics: { batchId: crypto.randomUUID() },
        }
      : {
          api: options.api ?? 'DeleteBlob',
          requestId: crypto.randomUUID(),
          contentType: options.contentType ?? 'application/octet-stream',
          blobType: 'BlockBlob',
          url,
          sequencer: options.sequencer,
          storageDiagnostics: { batchId: crypto.randomUUID() },
        };
  return {
    topic,
    subject: blobSubject(container, blobPath),
    eventType: kind === 'created' ? 'Microsoft.Storage.BlobCreated' : 'Microsoft.Storage.BlobDeleted',
    eventTime: new Date().toISOString(),
    id: `evt-${++nextEventId}`,
    data,
    dataVersion: '',
    metadataVersion: '1',
  };
}

/** The same event in the CloudEvents 1.0 schema. */
export function asCloudEvent(event: EventGridSchemaEvent): CloudEventSchemaEvent {
  return {
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    id: event.id,
    data: event.data,
    specversion: '1.0',
  };
}

/** The created change the trigger would hand the service for this upload. */
export function createdChange(container: string, blobPath: string, options: BlobEventOptions): BlobCreatedChange {
  const change = toBlobChange(blobEvent('created', container, blobPath, options));
  if (change.kind !== 'created') throw new Error(`not a created change: ${JSON.stringify(change)}`);
  return change;
}

/** An invocation context that keeps what the function logged. */
export function invocation(): { context: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName: 'ingestBlobEvents',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
  return { context, logs };
}

/** Deterministic Fisher–Yates shuffle (mulberry32), so a failing order can be replayed from its seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
