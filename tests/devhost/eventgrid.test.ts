import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';
import { BlobSASPermissions, BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../devhost/core/logger';
import { FunctionRegistry, toRegisteredFunction } from '../../devhost/core/registry';
import { BlobEventBridge } from '../../devhost/eventgrid/bridge';
import { loadBridgeSubscriptions, type BridgeSubscription } from '../../devhost/eventgrid/subscriptions';
import { startAzurite, type RunningAzurite } from '../../devhost/services/azurite';
import { startDevhost, testKeys, type RunningDevhost } from '../helpers/devhost';

const app = 'dist/tests/fixtures/eventgrid/*.js';
const egKey = testKeys.systemKeys.eventgrid_extension;

/** An event as JSON: both schemas' envelope fields, blob event data; the assertions check the rest. */
interface EventJson {
  id: string;
  subject: string;
  eventType?: string;
  specversion?: string;
  metadataVersion?: string;
  data: Record<string, unknown> & { sequencer?: string; url?: string };
  [key: string]: unknown;
}

interface Received {
  receivedAt: number;
  functionName: string;
  event: EventJson;
  triggerMetadata: { data?: unknown; sys: { methodName: string; utcNow: string; randGuid: string } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function received(host: RunningDevhost): Promise<Received[]> {
  return (await (await fetch(`${host.baseUrl}/api/received`)).json()) as Received[];
}

function webhook(host: RunningDevhost, functionName: string, init: RequestInit & { key?: string | null } = {}) {
  const { key = egKey, ...rest } = init;
  const url = new URL(`${host.baseUrl}/runtime/webhooks/EventGrid`);
  url.searchParams.set('functionName', functionName);
  if (key) url.searchParams.set('code', key);
  return fetch(url, { method: 'POST', ...rest });
}

const notify = (host: RunningDevhost, fn: string, body: unknown, key?: string | null) =>
  webhook(host, fn, {
    key,
    headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

// Azure's documented samples (MicrosoftDocs/azure-docs event-schema-blob-storage.md, webhook-event-delivery.md).
const sampleBlobCreated = [
  {
    topic:
      '/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account',
    subject: '/blobServices/default/containers/test-container/blobs/new-file.txt',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2017-06-26T18:41:00.9584103Z',
    id: '831e1650-001e-001b-66ab-eeb76e069631',
    data: {
      api: 'PutBlockList',
      clientRequestId: '6d79dbfb-0e37-4fc4-981f-442c9ca65760',
      requestId: '831e1650-001e-001b-66ab-eeb76e000000',
      eTag: '"0x8D4BCC2E4835CD0"',
      contentType: 'text/plain',
      contentLength: 524288,
      blobType: 'BlockBlob',
      url: 'https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt',
      sequencer: '00000000000004420000000000028963',
      storageDiagnostics: { batchId: 'b68529f3-68cd-4744-baa4-3c0498ec19f0' },
    },
    dataVersion: '',
    metadataVersion: '1',
  },
];

const sampleCloudBlobDeleted = [
  {
    source:
      '/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account',
    subject: '/blobServices/default/containers/testcontainer/blobs/file-to-delete.txt',
    type: 'Microsoft.Storage.BlobDeleted',
    time: '2017-11-07T20:09:22.5674003Z',
    id: '4c2359fe-001e-00ba-0e04-58586806d298',
    data: {
      api: 'DeleteBlob',
      requestId: '4c2359fe-001e-00ba-0e04-585868000000',
      contentType: 'text/plain',
      blobType: 'BlockBlob',
      url: 'https://my-storage-account.blob.core.windows.net/testcontainer/file-to-delete.txt',
      sequencer: '0000000000000281000000000002F5CA',
      storageDiagnostics: { batchId: 'b9b4e5a1-8ac7-4e3f-b6ec-9ec8bd8b2c27' },
    },
    specversion: '1.0',
  },
];

const sampleValidation = [
  {
    id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    topic: '/subscriptions/xx/resourceGroups/xx/providers/Microsoft.Storage/storageAccounts/xx',
    subject: '',
    data: {
      validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
      validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=x&token=y',
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: '2022-10-28T04:03:35.1981776Z',
    metadataVersion: '1',
    dataVersion: '1',
  },
];

describe('Event Grid webhook (/runtime/webhooks/eventgrid)', () => {
  let host: RunningDevhost;
  const deserializer = new EventGridDeserializer();

  beforeAll(async () => {
    host = await startDevhost({ app });
  });

  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('prints each eventGridTrigger function with its webhook URL', () => {
    expect(host.output()).toContain(
      `recordEvent: eventGridTrigger ${host.baseUrl}/runtime/webhooks/eventgrid?functionName=recordEvent`,
    );
  });

  it('requires the eventgrid_extension system key (or the master key)', async () => {
    expect((await notify(host, 'recordEvent', sampleBlobCreated, null)).status).toBe(401);
    expect((await notify(host, 'recordEvent', sampleBlobCreated, testKeys.functionKeys.default!)).status).toBe(401);
    expect(
      (await notify(host, 'recordEvent', sampleBlobCreated, testKeys.systemKeys.durabletask_extension)).status,
    ).toBe(401);
    expect((await notify(host, 'recordEvent', sampleBlobCreated, testKeys.masterKey)).status).toBe(202);
    const viaHeader = await webhook(host, 'recordEvent', {
      key: null,
      headers: { 'aeg-event-type': 'Notification', 'x-functions-key': egKey },
      body: JSON.stringify(sampleBlobCreated),
    });
    expect(viaHeader.status).toBe(202);
  });

  it('answers 404 for a missing, unknown or non-Event-Grid function', async () => {
    for (const name of ['', 'noSuchFunction', 'receivedEvents']) {
      const res = await notify(host, name, sampleBlobCreated);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(`cannot find function: '${name}'`);
    }
  });

  it('completes the EventGridEvent validation handshake with 200 {validationResponse}', async () => {
    const res = await webhook(host, 'recordEvent', {
      headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
      body: JSON.stringify(sampleValidation),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it('completes the CloudEvents handshake (OPTIONS + WebHook-Request-Origin)', async () => {
    const res = await webhook(host, 'recordEvent', {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net', 'WebHook-Request-Rate': '120' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
    // A CloudEvents-schema validation event carries its data double-encoded; the extension accepts that too.
    const cloudValidation = await webhook(host, 'recordEvent', {
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify({ ...sampleValidation[0], data: JSON.stringify(sampleValidation[0]!.data) }),
    });
    expect(await cloudValidation.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it("delivers Azure's sample BlobCreated (EventGridEvent schema) with the event, data and sys metadata", async () => {
    const before = (await received(host)).length;
    const res = await notify(host, 'recordEvent', sampleBlobCreated);
    expect(res.status).toBe(202);
    const got = (await received(host)).slice(before);
    expect(got).toHaveLength(1);
    const { event, triggerMetadata, functionName } = got[0]!;
    expect(functionName).toBe('recordEvent');
    expect(event).toEqual(sampleBlobCreated[0]);
    // Binding data as the extension defines it: `data` is the event's data; `sys` comes from the host.
    expect(triggerMetadata.data).toEqual(sampleBlobCreated[0]!.data);
    expect(triggerMetadata.sys).toMatchObject({ methodName: 'recordEvent', utcNow: expect.any(String) });
    expect(triggerMetadata.sys.randGuid).toMatch(/^[0-9a-f-]{36}$/);
    const [parsed] = await deserializer.deserializeEventGridEvents(event);
    expect(isSystemEvent('Microsoft.Storage.BlobCreated', parsed!)).toBe(true);
    if (isSystemEvent('Microsoft.Storage.BlobCreated', parsed!)) {
      expect(parsed.data.contentLength).toBe(524288);
      expect(parsed.data.url).toBe('https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt');
    }
    expect(parsed!.eventTime).toEqual(new Date('2017-06-26T18:41:00.9584103Z'));
  });

  it("delivers Azure's sample BlobDeleted in CloudEvents 1.0, as an array and as a single object", async () => {
    const before = (await received(host)).length;
    expect((await notify(host, 'recordEvent', sampleCloudBlobDeleted)).status).toBe(202);
    expect((await notify(host, 'recordEvent', sampleCloudBlobDeleted[0])).status).toBe(202);
    const got = (await received(host)).slice(before);
    expect(got.map((r) => r.event)).toEqual([sampleCloudBlobDeleted[0], sampleCloudBlobDeleted[0]]);
    expect(got[0]!.triggerMetadata.data).toEqual(sampleCloudBlobDeleted[0]!.data);
    const [parsed] = await deserializer.deserializeCloudEvents(got[0]!.event);
    expect(isSystemEvent('Microsoft.Storage.BlobDeleted', parsed!)).toBe(true);
    expect(parsed!.source).toBe(sampleCloudBlobDeleted[0]!.source);
    expect(parsed!.data).toMatchObject({ api: 'DeleteBlob', sequencer: '0000000000000281000000000002F5CA' });
  });

  it('invokes the function once per event of a batch', async () => {
    const before = (await received(host)).length;
    const batch = [1, 2, 3].map((n) => ({ ...sampleBlobCreated[0], id: `batch-${n}` }));
    expect((await notify(host, 'recordEvent', batch)).status).toBe(202);
    const ids = (await received(host)).slice(before).map((r) => r.event.id);
    expect(ids.sort()).toEqual(['batch-1', 'batch-2', 'batch-3']);
  });

  it('answers 500 with the error when the function throws, so Event Grid retries', async () => {
    const res = await notify(host, 'alwaysFails', sampleBlobCreated);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('alwaysFails refuses event 831e1650-001e-001b-66ab-eeb76e069631');
  });

  it('answers 400 for invalid JSON or an unknown aeg-event-type, 202 for Unsubscribe', async () => {
    expect((await notify(host, 'recordEvent', '{not json')).status).toBe(400);
    expect((await notify(host, 'recordEvent', '42')).status).toBe(400);
    expect((await notify(host, 'recordEvent', '[1]')).status).toBe(400);
    const noType = await webhook(host, 'recordEvent', { body: JSON.stringify(sampleBlobCreated) });
    expect(noType.status).toBe(400);
    const unknown = await webhook(host, 'recordEvent', { headers: { 'aeg-event-type': 'Bogus' }, body: '[]' });
    expect(unknown.status).toBe(400);
    const unsubscribe = await webhook(host, 'recordEvent', { headers: { 'aeg-event-type': 'Unsubscribe' } });
    expect(unsubscribe.status).toBe(202);
  });
});

describe('blob → Event Grid bridge on a real devhost with Azurite', () => {
  let host: RunningDevhost;
  let dataDir: string;
  let service: BlobServiceClient;
  let blobEndpoint: string;
  const topic =
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';
  const subject = (container: string, name: string) => `/blobServices/default/containers/${container}/blobs/${name}`;
  const options = () => ({ app, services: true, dataDir, env: { DEVHOST_EVENTGRID_RETRY_MS: '100,200' } });
  const eventsFor = async (subj: string) => (await received(host)).filter((r) => r.event.subject === subj);
  const container = async (name: string): Promise<ContainerClient> => {
    const c = service.getContainerClient(name);
    await c.createIfNotExists();
    return c;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'devhost-eventgrid-'));
    // Machine-local subscriptions (devhost.json in the data dir): everything to recordEvent, one container in
    // CloudEvents, and a poison container for the always-failing function with 3 attempts.
    const subscriptions = [
      { name: 'all-blobs', functionName: 'recordEvent' },
      {
        name: 'cloud-blobs',
        functionName: 'recordEvent',
        schema: 'CloudEventSchemaV1_0',
        subjectBeginsWith: '/blobServices/default/containers/cloud/',
      },
      {
        name: 'poison',
        functionName: 'alwaysFails',
        includedEventTypes: ['Microsoft.Storage.BlobCreated'],
        subjectBeginsWith: '/BLOBSERVICES/default/containers/poison/',
        subjectEndsWith: '.JSON',
        maxDeliveryAttempts: 3,
      },
    ];
    writeFileSync(path.join(dataDir, 'devhost.json'), JSON.stringify({ eventGridSubscriptions: subscriptions }));
    host = await startDevhost(options());
    const connectionString = await azuriteConnectionString(host);
    service = BlobServiceClient.fromConnectionString(connectionString);
    blobEndpoint = /BlobEndpoint=([^;]+)/.exec(connectionString)![1]!;
  });

  afterAll(async () => {
    await host?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it('delivers an upload as an Azure-shaped BlobCreated', async () => {
    const images = await container('images');
    const name = 'cats/kitty 1.jpg';
    const upload = await images.getBlockBlobClient(name).upload('meow', 4, {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    const uploadedAt = Date.now();
    const [got] = await waitFor('BlobCreated', async () => {
      const events = await eventsFor(subject('images', name));
      return events.length ? events : undefined;
    });
    const latency = got!.receivedAt - uploadedAt;
    console.log(`upload → eventGridTrigger latency: ${latency} ms`); // a figure for the log, not an assertion

    const { event, triggerMetadata } = got!;
    expect(event).toMatchObject({
      topic,
      subject: '/blobServices/default/containers/images/blobs/cats/kitty 1.jpg',
      eventType: 'Microsoft.Storage.BlobCreated',
      dataVersion: '',
      metadataVersion: '1',
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(Object.keys(event.data)).toEqual([
      'api',
      'clientRequestId',
      'requestId',
      'eTag',
      'contentType',
      'contentLength',
      'blobType',
      'url',
      'sequencer',
      'storageDiagnostics',
    ]);
    expect(event.data).toMatchObject({
      api: 'PutBlob',
      eTag: upload.etag,
      contentType: 'image/jpeg',
      contentLength: 4,
      blobType: 'BlockBlob',
      url: `${blobEndpoint}/images/cats/kitty%201.jpg`,
      storageDiagnostics: { batchId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(event.data.sequencer).toMatch(/^[0-9a-f]{32}$/);
    expect(triggerMetadata.data).toEqual(event.data);
    const [parsed] = await new EventGridDeserializer().deserializeEventGridEvents(event);
    expect(isSystemEvent('Microsoft.Storage.BlobCreated', parsed!)).toBe(true);
  });

  it('reports Put Block List and Copy Blob writes with their api', async () => {
    const images = await container('images');
    const staged = images.getBlockBlobClient('staged.bin');
    const blockId = Buffer.from('block-0').toString('base64');
    await staged.stageBlock(blockId, Buffer.from('abc'), 3);
    await staged.commitBlockList([blockId]);
    const source = images.getBlockBlobClient('cats/kitty 1.jpg');
    const sasUrl = await source.generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + 60_000),
    });
    await (await images.getBlockBlobClient('copy.jpg').beginCopyFromURL(sasUrl)).pollUntilDone();

    const stagedEvent = await waitFor(
      'PutBlockList',
      async () => (await eventsFor(subject('images', 'staged.bin')))[0],
    );
    expect(stagedEvent.event.data).toMatchObject({ api: 'PutBlockList', contentLength: 3 });
    const copyEvent = await waitFor('CopyBlob', async () => (await eventsFor(subject('images', 'copy.jpg')))[0]);
    expect(copyEvent.event.data).toMatchObject({ api: 'CopyBlob', contentLength: 4, contentType: 'image/jpeg' });
  });

  it('publishes BlobDeleted (no eTag, no contentLength) with a later sequencer', async () => {
    const images = await container('images');
    const name = 'cats/kitty 1.jpg';
    await images.deleteBlob(name);
    const events = await waitFor('BlobDeleted', async () => {
      const all = await eventsFor(subject('images', name));
      return all.some((r) => r.event.eventType === 'Microsoft.Storage.BlobDeleted') ? all : undefined;
    });
    const created = events.find((r) => r.event.eventType === 'Microsoft.Storage.BlobCreated')!.event;
    const deleted = events.find((r) => r.event.eventType === 'Microsoft.Storage.BlobDeleted')!.event;
    expect(Object.keys(deleted.data)).toEqual([
      'api',
      'clientRequestId',
      'requestId',
      'contentType',
      'blobType',
      'url',
      'sequencer',
      'storageDiagnostics',
    ]);
    expect(deleted.data).toMatchObject({ api: 'DeleteBlob', contentType: 'image/jpeg', blobType: 'BlockBlob' });
    expect(deleted.data.url).toBe(created.data.url);
    expect(deleted.data.sequencer! > created.data.sequencer!).toBe(true);
  });

  it('publishes nothing for metadata or property updates, but does for a rewrite', async () => {
    const images = await container('images');
    const blob = images.getBlockBlobClient('tagged.png');
    await blob.upload('png', 3);
    await waitFor('first BlobCreated', async () => (await eventsFor(subject('images', 'tagged.png')))[0]);
    // A handler that tags its input blob must not trigger itself again (Azure publishes nothing for these).
    await blob.setMetadata({ labeled: 'true' });
    await blob.setHTTPHeaders({ blobContentType: 'image/png' });
    await sleep(1000);
    expect(await eventsFor(subject('images', 'tagged.png'))).toHaveLength(1);
    await blob.upload('png2', 4);
    await waitFor('rewrite BlobCreated', async () => {
      const events = await eventsFor(subject('images', 'tagged.png'));
      return events.length === 2 ? events : undefined;
    });
  });

  it('delivers in the CloudEvents 1.0 schema to a CloudEvents subscription', async () => {
    const cloud = await container('cloud');
    await cloud
      .getBlockBlobClient('doc.txt')
      .upload('hello', 5, { blobHTTPHeaders: { blobContentType: 'text/plain' } });
    const events = await waitFor('both schemas', async () => {
      const all = await eventsFor(subject('cloud', 'doc.txt'));
      return all.length === 2 ? all : undefined;
    });
    const cloudEvent = events.find((r) => r.event.specversion === '1.0')!.event;
    const gridEvent = events.find((r) => r.event.metadataVersion === '1')!.event;
    expect(cloudEvent).toEqual({
      source: topic,
      subject: gridEvent.subject,
      type: 'Microsoft.Storage.BlobCreated',
      time: expect.any(String),
      id: expect.any(String),
      data: expect.objectContaining({ api: 'PutBlob', contentType: 'text/plain', contentLength: 5 }),
      specversion: '1.0',
    });
    const [parsed] = await new EventGridDeserializer().deserializeCloudEvents(cloudEvent);
    expect(isSystemEvent('Microsoft.Storage.BlobCreated', parsed!)).toBe(true);
  });

  it('retries a failing function, then dead-letters the event (and the dead-letter container publishes nothing)', async () => {
    const poison = await container('poison');
    await poison.getBlockBlobClient('bad.json').upload('{}', 2);
    await poison.getBlockBlobClient('ignored.txt').upload('x', 1);
    const deadLetters = service.getContainerClient('eventgrid-deadletter');
    const letterName = await waitFor('dead-letter blob', async () => {
      if (!(await deadLetters.exists())) return undefined;
      for await (const blob of deadLetters.listBlobsFlat()) return blob.name;
      return undefined;
    });
    expect(letterName).toMatch(/^DEVSTOREACCOUNT1\/POISON\/\d{4}\/\d+\/\d+\/\d+\/[0-9a-f-]{36}\.json$/);
    const letter = JSON.parse((await deadLetters.getBlobClient(letterName).downloadToBuffer()).toString()) as unknown[];
    expect(letter).toHaveLength(1);
    expect(letter[0]).toMatchObject({
      subject: subject('poison', 'bad.json'),
      eventType: 'Microsoft.Storage.BlobCreated',
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: 3,
      lastDeliveryOutcome: 'GenericError',
      lastHttpStatusCode: 500,
      publishTime: expect.any(String),
      lastDeliveryAttemptTime: expect.any(String),
    });
    const attempts = readFileSync(path.join(dataDir, 'eventgrid-failures.jsonl'), 'utf8').trim().split('\n');
    expect(attempts.map((l) => (JSON.parse(l) as { subject: string }).subject)).toEqual(
      Array(3).fill(subject('poison', 'bad.json')),
    );
    await sleep(1000);
    const all = await received(host);
    expect(all.filter((r) => r.event.subject.includes('eventgrid-deadletter'))).toEqual([]);
  });

  it('does not re-deliver old blobs after a restart on the same data dir, and keeps delivering new ones', async () => {
    const before = await received(host);
    const dlBefore: string[] = [];
    for await (const b of service.getContainerClient('eventgrid-deadletter').listBlobsFlat()) dlBefore.push(b.name);
    expect(await host.stop()).toBe(0);

    host = await startDevhost(options());
    service = BlobServiceClient.fromConnectionString(await azuriteConnectionString(host));
    await sleep(1500);
    expect(await received(host)).toHaveLength(before.length);

    const images = await container('images');
    await images.getBlockBlobClient('after-restart.jpg').upload('new', 3);
    await waitFor('post-restart event', async () => (await eventsFor(subject('images', 'after-restart.jpg')))[0]);
    await sleep(500);
    const after = await received(host);
    expect(after.slice(before.length).map((r) => r.event.subject)).toEqual([subject('images', 'after-restart.jpg')]);
    // The dead-lettered event stays dead: nothing new in the dead-letter container.
    const dlAfter: string[] = [];
    for await (const b of service.getContainerClient('eventgrid-deadletter').listBlobsFlat()) dlAfter.push(b.name);
    expect(dlAfter).toEqual(dlBefore);
  });

  it('takes Azurite down with it when devhost is killed', async () => {
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(await blobEndpointOf(host))![1]);
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    await host.stop('SIGKILL');
    await waitFor('Azurite to close its port', async () => ((await canConnect(port)) ? undefined : true), 10_000);
    await waitFor('Azurite to exit', () => (processesMentioning(dataDir).length ? undefined : true), 10_000);
  });
});

/** devhost prints the embedded Azurite's connection string just after its ready line. */
async function azuriteConnectionString(host: RunningDevhost): Promise<string> {
  const line = await host.waitForOutput(/Azurite blob connection string: \S+/);
  return line.slice('Azurite blob connection string: '.length);
}

async function blobEndpointOf(host: RunningDevhost): Promise<string> {
  return /BlobEndpoint=([^;]+)/.exec(await azuriteConnectionString(host))![1]!;
}

/** Pids whose command line mentions `text` (Linux /proc; empty elsewhere). */
function processesMentioning(text: string): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('BlobEventBridge durability (in-process, real Azurite and a real HTTP receiver)', () => {
  const logger = createLogger({ write: () => {} });
  const sink: BridgeSubscription = {
    name: 'sink',
    functionName: 'sink',
    includedEventTypes: ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted'],
    maxDeliveryAttempts: 30,
    eventTimeToLiveInMinutes: 1440,
    schema: 'EventGridSchema',
  };
  let dataDir: string;
  let azurite: RunningAzurite;
  let receiver: Server;
  let receiverUrl: string;
  let status = 503;
  const requests: Array<{ headers: Record<string, string | string[] | undefined>; url: string; body: EventJson[] }> =
    [];
  const savedRetry = process.env.DEVHOST_EVENTGRID_RETRY_MS;

  beforeAll(async () => {
    process.env.DEVHOST_EVENTGRID_RETRY_MS = '150';
    dataDir = mkdtempSync(path.join(tmpdir(), 'devhost-bridge-'));
    azurite = await startAzurite({ dataDir, port: 0, logger });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ headers: req.headers, url: req.url!, body: JSON.parse(body) as EventJson[] });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (savedRetry === undefined) delete process.env.DEVHOST_EVENTGRID_RETRY_MS;
    else process.env.DEVHOST_EVENTGRID_RETRY_MS = savedRetry;
    receiver?.close();
    await azurite?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  const newBridge = () =>
    new BlobEventBridge({
      connectionString: azurite.connectionString,
      dataDir,
      webhookBaseUrl: receiverUrl,
      eventGridKey: 'bridge-key',
      subscriptions: [sink],
      logger,
    });

  it('publishes nothing for blobs that predate the first start, and resumes undelivered events after a restart', async () => {
    const uploads = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('uploads');
    await uploads.create();
    await uploads.getBlockBlobClient('old.txt').upload('old', 3);

    const first = newBridge();
    await first.start();
    await uploads.getBlockBlobClient('pending.txt').upload('new', 3);
    await waitFor('two failed attempts', () => (requests.length >= 2 ? true : undefined));
    await first.stop();
    const attempts = requests.length;

    expect(requests[0]!.url).toBe('/runtime/webhooks/eventgrid?functionName=sink');
    expect(requests[0]!.headers).toMatchObject({
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': 'SINK',
      'aeg-delivery-count': '0',
      'x-functions-key': 'bridge-key',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(requests[1]!.headers['aeg-delivery-count']).toBe('1');
    const eventId = requests[0]!.body[0]!.id;
    expect(requests.every((r) => r.body.length === 1 && r.body[0]!.id === eventId)).toBe(true);
    expect(requests[0]!.body[0]!.subject).toBe('/blobServices/default/containers/uploads/blobs/pending.txt');

    status = 200;
    const second = newBridge();
    await second.start();
    await waitFor('delivery after restart', () => (requests.length > attempts ? true : undefined));
    await sleep(800);
    await second.stop();
    const afterRestart = requests.slice(attempts);
    // Exactly the pending event, same id, counting on from the attempts made before the restart; old.txt never.
    expect(afterRestart).toHaveLength(1);
    expect(afterRestart[0]!.body[0]!.id).toBe(eventId);
    expect(Number(afterRestart[0]!.headers['aeg-delivery-count'])).toBe(attempts);
    expect(requests.some((r) => r.body[0]!.subject.endsWith('/old.txt'))).toBe(false);
  });
});

describe('loadBridgeSubscriptions', () => {
  const registry = new FunctionRegistry();
  for (const [name, type] of [
    ['onImage', 'eventGridTrigger'],
    ['onOther', 'eventGridTrigger'],
    ['api', 'httpTrigger'],
  ] as const) {
    registry.add(toRegisteredFunction({ name, bindings: { trigger1: { type, direction: 'in' } } }, () => undefined));
  }
  const roots: string[] = [];
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
  const dirs = () => {
    const root = mkdtempSync(path.join(tmpdir(), 'devhost-subs-'));
    roots.push(root);
    const appDir = path.join(root, 'app');
    const dataDir = path.join(root, 'data');
    mkdirSync(appDir);
    mkdirSync(dataDir);
    return { appDir, dataDir };
  };

  it('defaults to one unfiltered BlobCreated+BlobDeleted subscription per eventGridTrigger function', () => {
    const { appDir, dataDir } = dirs();
    expect(loadBridgeSubscriptions(appDir, dataDir, registry)).toEqual(
      ['onImage', 'onOther'].map((fn) => ({
        name: fn,
        functionName: fn,
        includedEventTypes: ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted'],
        maxDeliveryAttempts: 30,
        eventTimeToLiveInMinutes: 1440,
        schema: 'EventGridSchema',
      })),
    );
  });

  it('reads devhost.json (data dir first, then app dir), filling Event Grid defaults', () => {
    const { appDir, dataDir } = dirs();
    const write = (dir: string, subs: unknown) =>
      writeFileSync(path.join(dir, 'devhost.json'), JSON.stringify({ other: true, eventGridSubscriptions: subs }));
    write(appDir, [{ functionName: 'onImage', includedEventTypes: ['microsoft.storage.blobcreated'] }]);
    expect(loadBridgeSubscriptions(appDir, dataDir, registry)).toEqual([
      {
        name: 'onImage',
        functionName: 'onImage',
        includedEventTypes: ['Microsoft.Storage.BlobCreated'],
        maxDeliveryAttempts: 30,
        eventTimeToLiveInMinutes: 1440,
        schema: 'EventGridSchema',
      },
    ]);
    write(dataDir, [{ name: 'local', functionName: 'onOther', subjectEndsWith: '.jpg', maxDeliveryAttempts: 2 }]);
    expect(loadBridgeSubscriptions(appDir, dataDir, registry)).toMatchObject([
      { name: 'local', functionName: 'onOther', subjectEndsWith: '.jpg', maxDeliveryAttempts: 2 },
    ]);
  });

  it('rejects bad configuration with the file and the reason', () => {
    const { appDir, dataDir } = dirs();
    const file = path.join(appDir, 'devhost.json');
    const attempt = (content: string) => {
      writeFileSync(file, content);
      return () => loadBridgeSubscriptions(appDir, dataDir, registry);
    };
    expect(attempt('{')).toThrow(`${file} is not valid JSON`);
    expect(
      attempt(JSON.stringify({ eventGridSubscriptions: [{ functionName: 'onImage', maxDeliveryAttempts: 31 }] })),
    ).toThrow(/Invalid eventGridSubscriptions in .*devhost\.json:[\s\S]*maxDeliveryAttempts/);
    expect(attempt(JSON.stringify({ eventGridSubscriptions: [{ functionName: 'api' }] }))).toThrow(
      /targets "api", which is not an eventGridTrigger function. Known: onImage, onOther/,
    );
    expect(
      attempt(JSON.stringify({ eventGridSubscriptions: [{ functionName: 'onImage', includedEventTypes: ['X.Y'] }] })),
    ).toThrow(/"X.Y" is not emitted by the bridge/);
    expect(
      attempt(JSON.stringify({ eventGridSubscriptions: [{ functionName: 'onImage' }, { functionName: 'onImage' }] })),
    ).toThrow(/name "onImage" is used twice/);
    expect(attempt(JSON.stringify({ eventGridSubscriptions: [{ functionName: 'onImage', extra: 1 }] }))).toThrow(
      /extra/,
    );
  });

  it('lets DEVHOST_EVENTGRID_MAX_ATTEMPTS override every subscription', () => {
    const { appDir, dataDir } = dirs();
    process.env.DEVHOST_EVENTGRID_MAX_ATTEMPTS = '2';
    try {
      expect(loadBridgeSubscriptions(appDir, dataDir, registry).map((s) => s.maxDeliveryAttempts)).toEqual([2, 2]);
      process.env.DEVHOST_EVENTGRID_MAX_ATTEMPTS = '0';
      expect(() => loadBridgeSubscriptions(appDir, dataDir, registry)).toThrow(/DEVHOST_EVENTGRID_MAX_ATTEMPTS/);
    } finally {
      delete process.env.DEVHOST_EVENTGRID_MAX_ATTEMPTS;
    }
  });
});
