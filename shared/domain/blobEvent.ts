import { z } from 'zod';

/**
 * Storage system events (Event Grid), as ingestion needs them. Pure: the trigger deserializes the envelope with
 * @azure/eventgrid and hands the result here; this module validates `data` and decides what the event means.
 */

export const blobCreatedEventType = 'Microsoft.Storage.BlobCreated';
export const blobDeletedEventType = 'Microsoft.Storage.BlobDeleted';

/**
 * Operations whose BlobCreated means "this blob now holds its committed content": Blob REST (PutBlob, PutBlockList,
 * CopyBlob) and ADLS Gen2 (FlushWithClose). ADLS `CreateFile` only creates an empty file that a FlushWithClose
 * fills later, and SFTP's SftpCreate/SftpCommit pair is not handled (the periodic reconciliation registers those).
 */
export const committedCreateApis: readonly string[] = ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'];
/** Blob REST and ADLS Gen2 deletes of one blob (a recursive DirectoryDeleted is left to reconciliation). */
export const deleteApis: readonly string[] = ['DeleteBlob', 'DeleteFile'];

// Storage adds fields over time (contentOffset, identity, storageDiagnostics…): unknown keys are allowed.
export const blobCreatedDataSchema = z.looseObject({
  api: z.string().min(1),
  eTag: z.string().default(''),
  contentType: z.string().default(''),
  contentLength: z.number().int().nonnegative(),
  url: z.string().min(1),
  /** Opaque; Azure documents ordering two events of one blob by comparing these as strings. */
  sequencer: z.string().min(1),
});
export type BlobCreatedData = z.infer<typeof blobCreatedDataSchema>;

export const blobDeletedDataSchema = z.looseObject({
  api: z.string().min(1),
  url: z.string().min(1),
  sequencer: z.string().min(1),
});
export type BlobDeletedData = z.infer<typeof blobDeletedDataSchema>;

/**
 * The fields of a deserialized EventGridEvent or CloudEvent 1.0 that matter here. Both @azure/eventgrid shapes
 * (and the plain JSON Event Grid delivers) satisfy it: EventGridEvent names the type `eventType`, CloudEvent `type`.
 */
export interface StorageEventEnvelope {
  id: string;
  subject?: string;
  eventType?: string;
  type?: string;
  /** EventGridEvent: the storage account's resource id. */
  topic?: string;
  /** CloudEvent: the storage account's resource id. */
  source?: string;
  data?: unknown;
}

interface BlobRef {
  eventId: string;
  api: string;
  container: string;
  blobPath: string;
  /** The URL the event names: for logs only. Tasks take their URL from the project's own account, never this. */
  blobUrl: string;
  sequencer: string;
  /** Storage account name from the topic/source, when the event names one. */
  storageAccount?: string;
}

export interface BlobCreatedChange extends BlobRef {
  kind: 'created';
  contentType: string;
  sizeBytes: number;
  eTag: string;
}

export interface BlobDeletedChange extends BlobRef {
  kind: 'deleted';
}

export interface IgnoredBlobChange {
  kind: 'ignored';
  eventId: string;
  reason: string;
  container?: string;
  blobPath?: string;
}

export type BlobChange = BlobCreatedChange | BlobDeletedChange | IgnoredBlobChange;

const subjectPrefix = '/blobServices/default/containers/';
const blobsSegment = '/blobs/';

/**
 * Container and blob path from a storage event subject (`/blobServices/default/containers/{c}/blobs/{path}`).
 * Container names never contain '/', so the first `/blobs/` after the prefix ends the container; the path may
 * itself contain '/' and even '/blobs/'. The subject carries the name unencoded (unlike `data.url`).
 */
export function parseBlobSubject(subject: string): { container: string; blobPath: string } | undefined {
  if (!subject.startsWith(subjectPrefix)) return undefined;
  const rest = subject.slice(subjectPrefix.length);
  const end = rest.indexOf(blobsSegment);
  if (end <= 0) return undefined;
  const container = rest.slice(0, end);
  const blobPath = rest.slice(end + blobsSegment.length);
  if (container.includes('/') || blobPath === '') return undefined;
  if (!isPlainBlobPath(blobPath)) return undefined;
  return { container, blobPath };
}

/**
 * A blob path that names one blob plainly: no `.`/`..` segments (a URL built from one would resolve elsewhere), no
 * backslash and no control characters. Azure Storage refuses to create such names through its own API; an event
 * naming one is forged or broken, and is dropped rather than retried.
 */
function isPlainBlobPath(blobPath: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(blobPath)) return false;
  return !blobPath.split('/').some((segment) => segment === '.' || segment === '..');
}

/** The subject Azure Storage gives events about this blob (the inverse of parseBlobSubject). */
export function blobSubject(container: string, blobPath: string): string {
  return `${subjectPrefix}${container}${blobsSegment}${blobPath}`;
}

/** `…/providers/Microsoft.Storage/storageAccounts/{name}` → name. */
export function storageAccountOf(resourceId: string | undefined): string | undefined {
  return resourceId ? /\/storageAccounts\/([^/]+)/i.exec(resourceId)?.[1] : undefined;
}

/**
 * ADLS Gen2 events name the file by its dfs endpoint; tasks (and listings) use the blob endpoint, which serves the
 * same bytes. Anything that is not an Azure dfs host is kept as is.
 */
export function blobEndpointUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const match = /^([^.]+)\.dfs\.(core\..+)$/i.exec(parsed.hostname);
  if (!match) return url;
  parsed.hostname = `${match[1]}.blob.${match[2]}`;
  return parsed.toString();
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');
}

/**
 * What a storage event means for ingestion. Never throws: anything that is not a committed create or a delete of
 * a blob is `ignored` with the reason (the trigger logs it), because retrying such an event can never succeed.
 */
export function toBlobChange(event: StorageEventEnvelope): BlobChange {
  const eventId = event.id;
  const eventType = event.eventType ?? event.type ?? '';
  if (eventType !== blobCreatedEventType && eventType !== blobDeletedEventType) {
    return { kind: 'ignored', eventId, reason: `event type "${eventType}" is not a blob create or delete` };
  }
  const location = parseBlobSubject(event.subject ?? '');
  if (!location) {
    return { kind: 'ignored', eventId, reason: `subject "${event.subject ?? ''}" does not name a blob` };
  }
  const storageAccount = storageAccountOf(event.topic ?? event.source);
  const account = storageAccount ? { storageAccount } : {};
  const ignored = (reason: string): BlobChange => ({ kind: 'ignored', eventId, ...location, reason });

  if (eventType === blobCreatedEventType) {
    const parsed = blobCreatedDataSchema.safeParse(event.data);
    if (!parsed.success) {
      return ignored(`invalid BlobCreated data: ${describeIssues(parsed.error)}`);
    }
    const data = parsed.data;
    if (data.api === 'CreateFile' && data.contentLength === 0) {
      return ignored('ADLS CreateFile of an empty file (FlushWithClose follows)');
    }
    if (!committedCreateApis.includes(data.api)) {
      return ignored(`BlobCreated from ${data.api} is not a committed upload`);
    }
    return {
      kind: 'created',
      eventId,
      api: data.api,
      ...location,
      ...account,
      blobUrl: blobEndpointUrl(data.url),
      sequencer: data.sequencer,
      contentType: data.contentType,
      sizeBytes: data.contentLength,
      eTag: data.eTag,
    };
  }

  const parsed = blobDeletedDataSchema.safeParse(event.data);
  if (!parsed.success) {
    return ignored(`invalid BlobDeleted data: ${describeIssues(parsed.error)}`);
  }
  const data = parsed.data;
  if (!deleteApis.includes(data.api)) {
    return ignored(`BlobDeleted from ${data.api} is not handled`);
  }
  return {
    kind: 'deleted',
    eventId,
    api: data.api,
    ...location,
    ...account,
    blobUrl: blobEndpointUrl(data.url),
    sequencer: data.sequencer,
  };
}
