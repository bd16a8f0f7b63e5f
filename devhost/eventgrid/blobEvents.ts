import { randomUUID } from 'node:crypto';
import { BLOB_CREATED, BLOB_DELETED, type BridgeSubscription } from './subscriptions';

export type BlobApi = 'PutBlob' | 'PutBlockList' | 'CopyBlob' | 'DeleteBlob';

/** A committed change to one blob, as the storage account's Event Grid system topic reports it. */
export interface BlobChange {
  kind: 'created' | 'deleted';
  api: BlobApi;
  container: string;
  name: string;
  url: string;
  etag: string;
  contentType: string;
  contentLength: number;
  blobType: string;
}

export interface EventGridEvent {
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  id: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: string;
}

export interface CloudEvent {
  source: string;
  subject: string;
  type: string;
  time: string;
  id: string;
  data: Record<string, unknown>;
  specversion: '1.0';
}

export function storageTopic(accountName: string): string {
  return (
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost' +
    `/providers/Microsoft.Storage/storageAccounts/${accountName}`
  );
}

export function blobSubject(container: string, name: string): string {
  return `/blobServices/default/containers/${container}/blobs/${name}`;
}

/** Azure writes event times with 7 fractional digits (.NET ticks). */
function eventTime(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** Sequencers are 32 hex digits; Azure documents comparing them as strings, so they must be fixed-width. */
export function formatSequencer(counter: number): string {
  return counter.toString(16).padStart(32, '0');
}

export function toEventGridEvent(
  change: BlobChange,
  ctx: { topic: string; sequencer: string; batchId: string; at: Date },
): EventGridEvent {
  const created = change.kind === 'created';
  // Key order follows Azure's samples; deletions carry no eTag or contentLength.
  const data: Record<string, unknown> = {
    api: change.api,
    clientRequestId: randomUUID(),
    requestId: randomUUID(),
    // Azure's samples quote the ETag, as the ETag header does.
    ...(created ? { eTag: `"${change.etag}"` } : {}),
    contentType: change.contentType,
    ...(created ? { contentLength: change.contentLength } : {}),
    blobType: change.blobType,
    url: change.url,
    sequencer: ctx.sequencer,
    storageDiagnostics: { batchId: ctx.batchId },
  };
  return {
    topic: ctx.topic,
    subject: blobSubject(change.container, change.name),
    eventType: created ? BLOB_CREATED : BLOB_DELETED,
    eventTime: eventTime(ctx.at),
    id: randomUUID(),
    data,
    dataVersion: '',
    metadataVersion: '1',
  };
}

/** The same event in the CloudEvents 1.0 schema Event Grid uses for system topics. */
export function toCloudEvent(event: EventGridEvent): CloudEvent {
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

/** Event Grid's subscription filter: event types and subject prefix/suffix, all case-insensitive by default. */
export function subscriptionMatches(sub: BridgeSubscription, eventType: string, subject: string): boolean {
  const type = eventType.toLowerCase();
  if (!sub.includedEventTypes.some((t) => t.toLowerCase() === type)) return false;
  const lowerSubject = subject.toLowerCase();
  if (sub.subjectBeginsWith && !lowerSubject.startsWith(sub.subjectBeginsWith.toLowerCase())) return false;
  if (sub.subjectEndsWith && !lowerSubject.endsWith(sub.subjectEndsWith.toLowerCase())) return false;
  return true;
}
