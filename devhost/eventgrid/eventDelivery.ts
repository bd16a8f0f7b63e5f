import type { Logger } from '../core/logger';
import type { BridgeStore, OutboxRow } from './bridgeStore';
import type { DeadLetterWriter } from './deadLetter';
import type { BridgeSubscription } from './subscriptions';
import { eventGridWebhookUrl } from './webhook';

export interface EventDeliveryOptions {
  store: BridgeStore;
  subscriptions: BridgeSubscription[];
  webhookBaseUrl: string;
  eventGridKey: string;
  /** Delay before retry n (1-based) is entry n-1; the last entry repeats. */
  retryScheduleMs: number[];
  maxInFlight: number;
  /** Log every successful delivery too (failures are always logged). */
  trace?: boolean;
  deadLetter: DeadLetterWriter;
  logger: Logger;
}

/** Event Grid waits 30 s for a response, then counts the attempt as failed. */
const RESPONSE_TIMEOUT_MS = 30_000;
/** How long a stopping bridge lets in-flight deliveries finish before aborting them (they are redelivered later). */
const STOP_GRACE_MS = 5_000;
const DEAD_LETTER_RETRY_MS = 5_000;

/** Webhook answers Event Grid does not retry: the event is dead-lettered at once. */
const NON_RETRIABLE_STATUS = new Set([400, 401, 403, 413]);

interface AttemptResult {
  ok: boolean;
  status: number | null;
  outcome: string;
}

function outcomeOf(status: number): string {
  if (status >= 200 && status <= 204) return 'Delivered';
  const named: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    408: 'TimedOut',
    409: 'Conflict',
    413: 'PayloadTooLarge',
    429: 'Busy',
    503: 'Busy',
  };
  return named[status] ?? 'GenericError';
}

/**
 * Delivers the outbox with Event Grid's semantics: one event per request, at least once, bounded concurrency;
 * 200–204 succeed, 400/401/403/413 dead-letter at once, anything else (or no answer) is retried on the schedule
 * until maxDeliveryAttempts or the event's time-to-live runs out, then dead-lettered.
 */
export class EventDelivery {
  readonly #opts: EventDeliveryOptions;
  readonly #subscriptions: Map<string, BridgeSubscription>;
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: EventDeliveryOptions) {
    this.#opts = opts;
    this.#subscriptions = new Map(opts.subscriptions.map((s) => [s.name, s]));
  }

  /** Looks for due work now (call after queueing events). */
  wake(): void {
    if (this.#stopped) return;
    const { store, maxInFlight } = this.#opts;
    const now = Date.now();
    const free = maxInFlight - this.#inFlight.size;
    if (free > 0) {
      // Rows being delivered are still in the outbox (that is what makes delivery survive a crash): skip them.
      for (const row of store.dueDeliveries(now, free + this.#inFlight.size)) {
        if (this.#inFlight.size >= maxInFlight) break;
        if (this.#inFlight.has(row.seq)) continue;
        const work = this.#process(row).finally(() => {
          this.#inFlight.delete(row.seq);
          this.wake();
        });
        this.#inFlight.set(row.seq, work);
      }
    }
    this.#armTimer();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const pending = Promise.all(this.#inFlight.values());
    const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([pending, grace]);
    this.#abort.abort();
    await pending;
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    if (this.#inFlight.size >= this.#opts.maxInFlight) return; // a finishing delivery wakes us
    const due = this.#opts.store.nextDueAt();
    if (due === undefined) return;
    // Rows in flight are due "now" and would spin the timer: their completion wakes us instead.
    const delay = Math.max(due - Date.now(), this.#inFlight.size ? 50 : 0);
    this.#timer = setTimeout(() => this.wake(), Math.min(delay, 2 ** 31 - 1));
  }

  async #process(row: OutboxRow): Promise<void> {
    const { store, logger } = this.#opts;
    const sub = this.#subscriptions.get(row.subscription);
    if (!sub) {
      store.remove(row.seq);
      return;
    }
    if (row.deadLetterReason) return this.#deadLetter(row, sub);

    const now = Date.now();
    if (now - row.publishedAt > sub.eventTimeToLiveInMinutes * 60_000) {
      return this.#deadLetter({ ...row, deadLetterReason: 'TimeToLiveExceeded' }, sub);
    }
    const result = await this.#attempt(row, sub);
    if (this.#stopped && result.outcome === 'Aborted') return; // not an attempt: redelivered after restart
    if (result.ok) {
      store.remove(row.seq);
      if (this.#opts.trace) {
        logger.info(`Event Grid event ${row.seq} delivered to ${sub.functionName}: ${result.status}`);
      }
      return;
    }
    const attempted: OutboxRow = {
      ...row,
      attempts: row.attempts + 1,
      lastOutcome: result.outcome,
      lastStatus: result.status,
      lastAttemptAt: now,
    };
    if (result.status !== null && NON_RETRIABLE_STATUS.has(result.status)) {
      return this.#deadLetter({ ...attempted, deadLetterReason: 'NonRetriableError' }, sub);
    }
    if (attempted.attempts >= sub.maxDeliveryAttempts) {
      return this.#deadLetter({ ...attempted, deadLetterReason: 'MaxDeliveryAttemptsExceeded' }, sub);
    }
    const schedule = this.#opts.retryScheduleMs;
    const delay = schedule[Math.min(attempted.attempts - 1, schedule.length - 1)]!;
    store.reschedule({ ...attempted, dueAt: Date.now() + delay });
    logger.warn(
      `Event Grid delivery to ${sub.functionName} (subscription ${sub.name}) failed: ${result.outcome}` +
        `${result.status ? ` ${result.status}` : ''}; attempt ${attempted.attempts}/${sub.maxDeliveryAttempts}, ` +
        `retrying in ${delay} ms.`,
    );
  }

  async #attempt(row: OutboxRow, sub: BridgeSubscription): Promise<AttemptResult> {
    const cloud = sub.schema === 'CloudEventSchemaV1_0';
    const headers: Record<string, string> = {
      // One event per request, as Event Grid sends by default: an array for its schema, a single structured
      // CloudEvent for CloudEvents.
      'content-type': cloud ? 'application/cloudevents+json; charset=utf-8' : 'application/json; charset=utf-8',
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': sub.name.toUpperCase(),
      'aeg-delivery-count': String(row.attempts),
      'x-functions-key': this.#opts.eventGridKey,
    };
    if (!cloud) {
      headers['aeg-data-version'] = '';
      headers['aeg-metadata-version'] = '1';
    }
    const body = cloud ? row.event : `[${row.event}]`;
    try {
      const res = await fetch(eventGridWebhookUrl(this.#opts.webhookBaseUrl, sub.functionName), {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(RESPONSE_TIMEOUT_MS)]),
      });
      await res.arrayBuffer(); // drain, so the keep-alive connection is reused
      return { ok: res.status >= 200 && res.status <= 204, status: res.status, outcome: outcomeOf(res.status) };
    } catch (err) {
      if (this.#abort.signal.aborted) return { ok: false, status: null, outcome: 'Aborted' };
      const timedOut = (err as Error).name === 'TimeoutError';
      return { ok: false, status: null, outcome: timedOut ? 'TimedOut' : 'GenericError' };
    }
  }

  async #deadLetter(row: OutboxRow, sub: BridgeSubscription): Promise<void> {
    const { store, logger } = this.#opts;
    // Persist the verdict first so a crash before the blob is written does not deliver the event again.
    store.reschedule(row);
    try {
      const blobName = await this.#opts.deadLetter.write(row, sub);
      store.remove(row.seq);
      logger.warn(
        `Event Grid event for ${sub.functionName} (subscription ${sub.name}) dead-lettered: ` +
          `${row.deadLetterReason} after ${row.attempts} attempt(s) → ${blobName}`,
      );
    } catch (err) {
      if (this.#stopped) return;
      logger.error(`Dead-lettering to storage failed (${String(err)}); retrying in ${DEAD_LETTER_RETRY_MS} ms.`);
      store.reschedule({ ...row, dueAt: Date.now() + DEAD_LETTER_RETRY_MS });
    }
  }
}
