import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { OutboxRow } from './bridgeStore';
import type { BridgeSubscription } from './subscriptions';

export const DEAD_LETTER_CONTAINER = 'eventgrid-deadletter';

function isoTime(ms: number | null): string | undefined {
  return ms === null ? undefined : new Date(ms).toISOString();
}

/**
 * Writes undeliverable events to the local dead-letter container the way Event Grid does: one JSON array per
 * blob under `{TOPIC}/{SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{id}.json`, each event extended with why it failed.
 * Unlike Azure (which waits ~5 minutes to batch blob writes) it writes at once.
 */
export class DeadLetterWriter {
  readonly #container: ContainerClient;
  readonly #topicName: string;
  #ready: Promise<unknown> | undefined;

  constructor(connectionString: string, accountName: string) {
    this.#container =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
    this.#topicName = accountName.toUpperCase();
  }

  async write(row: OutboxRow, sub: BridgeSubscription): Promise<string> {
    this.#ready ??= this.#container.createIfNotExists().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    await this.#ready;
    const event = JSON.parse(row.event) as Record<string, unknown>;
    const now = new Date();
    const name =
      `${this.#topicName}/${sub.name.toUpperCase()}/${now.getUTCFullYear()}/${now.getUTCMonth() + 1}/` +
      `${now.getUTCDate()}/${now.getUTCHours()}/${String(event.id)}.json`;
    const body = JSON.stringify([{ ...event, ...deadLetterFields(row, sub.schema === 'CloudEventSchemaV1_0') }]);
    await this.#container
      .getBlockBlobClient(name)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return `${DEAD_LETTER_CONTAINER}/${name}`;
  }
}

/** Event Grid names these in camelCase for its own schema and in lower case (CloudEvents attributes) otherwise. */
function deadLetterFields(row: OutboxRow, cloudEvents: boolean): Record<string, unknown> {
  const fields = {
    deadLetterReason: row.deadLetterReason,
    deliveryAttempts: row.attempts,
    lastDeliveryOutcome: row.lastOutcome ?? 'NotAttempted',
    lastHttpStatusCode: row.lastStatus ?? undefined,
    publishTime: isoTime(row.publishedAt),
    lastDeliveryAttemptTime: isoTime(row.lastAttemptAt),
  };
  if (!cloudEvents) return fields;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));
}
