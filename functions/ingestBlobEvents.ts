import { app, type InvocationContext } from '@azure/functions';
import { EventGridDeserializer, isSystemEvent, type CloudEvent, type EventGridEvent } from '@azure/eventgrid';
import { services } from '../adapters/composition';
import { toBlobChange } from '../shared/domain/blobEvent';
import { IngestionService, type IngestOutcome } from '../shared/services/ingestion';

const deserializer = new EventGridDeserializer();
// Built on first use: the host sets the storage and store settings before the first event arrives.
let ingestion: IngestionService | undefined;

function service(): IngestionService {
  ingestion ??= new IngestionService(services());
  return ingestion;
}

/** Drops the cached service (tests swap the composition root between suites). */
export function resetIngestion(): void {
  ingestion = undefined;
}

type StorageEvent = EventGridEvent<unknown> | CloudEvent<unknown>;

/**
 * The host hands one event per invocation, as parsed JSON, in whichever schema the subscription delivers
 * (EventGridEvent or CloudEvents 1.0). An envelope that does not parse can never succeed on retry: it is logged
 * and dropped rather than thrown.
 */
async function deserialize(raw: unknown, context: InvocationContext): Promise<StorageEvent[]> {
  try {
    const input: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
    const first: unknown = Array.isArray(input) ? input[0] : input;
    const isCloudEvent = typeof first === 'object' && first !== null && 'specversion' in first;
    return isCloudEvent
      ? await deserializer.deserializeCloudEvents(input as Record<string, unknown>)
      : await deserializer.deserializeEventGridEvents(input as Record<string, unknown>);
  } catch (err) {
    context.warn(`Ignored a malformed Event Grid event: ${(err as Error).message}`);
    return [];
  }
}

function isBlobChangeEvent(event: StorageEvent): boolean {
  // Same test twice: isSystemEvent has one overload per schema, so the union must be split first.
  return 'eventType' in event
    ? isSystemEvent('Microsoft.Storage.BlobCreated', event) || isSystemEvent('Microsoft.Storage.BlobDeleted', event)
    : isSystemEvent('Microsoft.Storage.BlobCreated', event) || isSystemEvent('Microsoft.Storage.BlobDeleted', event);
}

function describeOutcome(outcome: IngestOutcome): string {
  const what = outcome.outcome === 'written' ? `→ ${outcome.state}` : 'unchanged';
  return `${outcome.projectId}/${outcome.taskId} ${what}${outcome.reason ? ` (${outcome.reason})` : ''}`;
}

/**
 * Storage BlobCreated/BlobDeleted → labeling tasks. Returns normally for anything that is not a usable change
 * (logged); throws only when storage or the store fails, so Event Grid redelivers the event.
 */
export async function ingestBlobEvents(raw: unknown, context: InvocationContext): Promise<void> {
  for (const event of await deserialize(raw, context)) {
    if (!isBlobChangeEvent(event)) {
      const type = 'eventType' in event ? event.eventType : event.type;
      context.log(`Ignored event ${event.id}: event type "${type}" is not a blob create or delete`);
      continue;
    }
    const change = toBlobChange(event);
    if (change.kind === 'ignored') {
      context.log(`Ignored event ${change.eventId}: ${change.reason}`);
      continue;
    }
    const outcomes =
      change.kind === 'created' ? await service().onBlobCreated(change) : await service().onBlobDeleted(change);
    const where = `${change.container}/${change.blobPath}`;
    if (outcomes.length === 0) context.debug(`Blob ${change.kind} ${where}: no project includes it`);
    for (const outcome of outcomes) {
      const line = `Blob ${change.kind} ${where}: ${describeOutcome(outcome)}`;
      // Rejects and ignored events (stale, duplicate, the blob already gone) are worth a line: they are rare, and
      // they are what someone asks about when an image did not show up or did not go away.
      if (outcome.state === 'rejected' || outcome.outcome === 'ignored') context.log(line);
      else context.debug(line);
    }
  }
}

app.eventGrid('ingestBlobEvents', { handler: ingestBlobEvents });
