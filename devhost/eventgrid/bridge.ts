import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../core/logger';
import { storageTopic, subscriptionMatches, toCloudEvent, toEventGridEvent, formatSequencer } from './blobEvents';
import { BlobLister, parseConnectionString } from './blobListing';
import { BlobWatcher, type ContainerDiff } from './blobWatcher';
import { BridgeStore } from './bridgeStore';
import { DEAD_LETTER_CONTAINER, DeadLetterWriter } from './deadLetter';
import { EventDelivery } from './eventDelivery';
import type { BridgeSubscription } from './subscriptions';

export interface BlobEventBridgeOptions {
  connectionString: string;
  dataDir: string;
  webhookBaseUrl: string;
  eventGridKey: string;
  subscriptions: BridgeSubscription[];
  logger: Logger;
}

/** Event Grid's retry schedule (10 s, 30 s, 1 min, 5 min, …) scaled down for a dev loop. */
const DEFAULT_RETRY_SCHEDULE_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];
const DEFAULT_POLL_MS = 250;
const MAX_IN_FLIGHT = 16;

function retryScheduleFromEnv(raw: string | undefined): number[] {
  if (!raw) return DEFAULT_RETRY_SCHEDULE_MS;
  const schedule = raw.split(',').map((s) => Number(s.trim()));
  if (!schedule.length || schedule.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error(`DEVHOST_EVENTGRID_RETRY_MS must be a comma-separated list of milliseconds, got "${raw}".`);
  }
  return schedule;
}

function pollMsFromEnv(raw: string | undefined): number {
  if (!raw) return DEFAULT_POLL_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 10)
    throw new Error(`DEVHOST_EVENTGRID_POLL_MS must be an integer ≥ 10, got "${raw}".`);
  return ms;
}

/**
 * The local storage account's Event Grid system topic: watches every container of the Azurite account, turns
 * blob writes and deletions into Microsoft.Storage.BlobCreated/BlobDeleted events, and delivers them to the
 * eventGridTrigger functions through devhost's own webhook, with Event Grid's retry and dead-letter semantics.
 * Snapshot and outbox live in `<dataDir>/eventgrid-bridge.db`, so a restart neither loses nor repeats events.
 *
 * Tunables (env): DEVHOST_EVENTGRID_RETRY_MS (retry delays, comma list), DEVHOST_EVENTGRID_POLL_MS (default 250),
 * DEVHOST_EVENTGRID_TRACE=1 (log every event queued and every delivery: to see which step of a change went missing).
 */
export class BlobEventBridge {
  readonly #opts: BlobEventBridgeOptions;
  #store: BridgeStore | undefined;
  #watcher: BlobWatcher | undefined;
  #delivery: EventDelivery | undefined;

  constructor(opts: BlobEventBridgeOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    const { connectionString, dataDir, subscriptions, logger } = this.#opts;
    const trace = process.env.DEVHOST_EVENTGRID_TRACE === '1';
    const account = parseConnectionString(connectionString);
    const lister = new BlobLister(account);
    const store = new BridgeStore(path.join(dataDir, 'eventgrid-bridge.db'));
    this.#store = store;
    const dropped = store.dropSubscriptionsExcept(subscriptions.map((s) => s.name));
    if (dropped) logger.warn(`Blob event bridge: dropped ${dropped} queued event(s) of removed subscriptions.`);

    const delivery = new EventDelivery({
      store,
      subscriptions,
      webhookBaseUrl: this.#opts.webhookBaseUrl,
      eventGridKey: this.#opts.eventGridKey,
      retryScheduleMs: retryScheduleFromEnv(process.env.DEVHOST_EVENTGRID_RETRY_MS),
      maxInFlight: MAX_IN_FLIGHT,
      trace,
      deadLetter: new DeadLetterWriter(connectionString, account.accountName),
      logger,
    });
    this.#delivery = delivery;

    const topic = storageTopic(account.accountName);
    const commit = (diff: ContainerDiff, publish: boolean) => {
      const queued = store.commitPass(
        {
          upserts: diff.upserts.map(({ name, blob }) => ({ container: diff.container, name, blob })),
          removals: diff.removals.map((name) => ({ container: diff.container, name })),
          outbox: (nextSequencer) => (publish ? fanOut(diff, subscriptions, topic, nextSequencer) : []),
        },
        Date.now(),
      );
      if (trace && publish) {
        for (const change of diff.changes) {
          logger.info(`Blob event bridge: ${change.kind} ${diff.container}/${change.name} (${change.api}) queued`);
        }
      }
      if (queued) delivery.wake();
    };
    const azuriteDir = path.join(dataDir, 'azurite');
    const watcher = new BlobWatcher({
      lister,
      snapshot: store.loadSnapshot(),
      ignoredContainers: new Set([DEAD_LETTER_CONTAINER]),
      commit,
      pollMs: pollMsFromEnv(process.env.DEVHOST_EVENTGRID_POLL_MS),
      hintDirs: [azuriteDir, path.join(azuriteDir, '__blobstorage__')],
      logger,
    });
    this.#watcher = watcher;

    // Like a new Event Grid subscription, the first run reports only what happens after it starts.
    const baseline = !store.baselineTaken;
    await watcher.pass(!baseline);
    if (baseline) store.markBaselineTaken();
    watcher.start();
    delivery.wake();
    const pending = store.pendingCount();
    logger.info(
      `Blob event bridge: ${subscriptions.length} subscription(s)` +
        (pending ? `, ${pending} undelivered event(s) resumed` : '') +
        (subscriptions.length ? ` → ${subscriptions.map((s) => `${s.name}→${s.functionName}`).join(', ')}` : ''),
    );
  }

  async stop(): Promise<void> {
    await this.#watcher?.stop();
    await this.#delivery?.stop();
    this.#store?.close();
    this.#watcher = undefined;
    this.#delivery = undefined;
    this.#store = undefined;
  }
}

/** One event per change, copied to every subscription whose filter matches (each gets its own delivery). */
function fanOut(
  diff: ContainerDiff,
  subscriptions: BridgeSubscription[],
  topic: string,
  nextSequencer: () => number,
): Array<{ subscription: string; event: string }> {
  const batchId = randomUUID();
  const at = new Date();
  const entries: Array<{ subscription: string; event: string }> = [];
  for (const change of diff.changes) {
    const event = toEventGridEvent(change, { topic, sequencer: formatSequencer(nextSequencer()), batchId, at });
    for (const sub of subscriptions) {
      if (!subscriptionMatches(sub, event.eventType, event.subject)) continue;
      const payload = sub.schema === 'CloudEventSchemaV1_0' ? toCloudEvent(event) : event;
      entries.push({ subscription: sub.name, event: JSON.stringify(payload) });
    }
  }
  return entries;
}
