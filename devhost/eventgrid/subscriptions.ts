import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FunctionRegistry } from '../core/registry';

/** An Event Grid subscription on the local storage account's system topic, delivering to one function. */
export interface BridgeSubscription {
  name: string;
  functionName: string;
  includedEventTypes: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  maxDeliveryAttempts: number;
  eventTimeToLiveInMinutes: number;
  schema: 'EventGridSchema' | 'CloudEventSchemaV1_0';
}

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
export const BLOB_DELETED = 'Microsoft.Storage.BlobDeleted';

const CONFIG_FILE = 'devhost.json';
/** Overrides every subscription's maxDeliveryAttempts (tests use it to dead-letter quickly). */
const MAX_ATTEMPTS_ENV = 'DEVHOST_EVENTGRID_MAX_ATTEMPTS';

const EMITTED_EVENT_TYPES = [BLOB_CREATED, BLOB_DELETED];

// Event Grid matches event types case-insensitively; keep the canonical spelling.
const eventTypeSchema = z.string().transform((type, ctx) => {
  const canonical = EMITTED_EVENT_TYPES.find((known) => known.toLowerCase() === type.toLowerCase());
  if (canonical) return canonical;
  ctx.addIssue({
    code: 'custom',
    message: `"${type}" is not emitted by the bridge (${EMITTED_EVENT_TYPES.join(', ')})`,
  });
  return z.NEVER;
});

// Limits are Event Grid's own: 1–30 attempts, TTL 1–1440 minutes, name up to 64 characters.
const subscriptionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"')
      .optional(),
    functionName: z.string().min(1),
    includedEventTypes: z.array(eventTypeSchema).min(1).default(EMITTED_EVENT_TYPES),
    subjectBeginsWith: z.string().min(1).optional(),
    subjectEndsWith: z.string().min(1).optional(),
    maxDeliveryAttempts: z.int().min(1).max(30).default(30),
    eventTimeToLiveInMinutes: z.int().min(1).max(1440).default(1440),
    schema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']).default('EventGridSchema'),
  })
  .strict();

const fileSchema = z.object({ eventGridSubscriptions: z.array(subscriptionSchema) });

/**
 * The subscriptions the blob → Event Grid bridge delivers to.
 *
 * Source, first match wins: `eventGridSubscriptions` in `<dataDir>/devhost.json` (machine-local, uncommitted),
 * then in `<appDir>/devhost.json`. Without either, every eventGridTrigger function gets its own subscription to
 * BlobCreated and BlobDeleted with no filters and Event Grid's default retry policy (30 attempts, 24 h).
 * Env DEVHOST_EVENTGRID_MAX_ATTEMPTS overrides maxDeliveryAttempts of every subscription.
 */
export function loadBridgeSubscriptions(
  appDir: string,
  dataDir: string,
  registry: FunctionRegistry,
): BridgeSubscription[] {
  const eventGridFunctions = registry.byTrigger('eventGridTrigger').map((fn) => fn.name);
  const configured = readConfiguredSubscriptions([path.join(dataDir, CONFIG_FILE), path.join(appDir, CONFIG_FILE)]);
  const subscriptions: BridgeSubscription[] = configured
    ? configured.subscriptions.map((s) => ({ ...s, name: s.name ?? s.functionName }))
    : eventGridFunctions.map((functionName) => ({
        name: functionName,
        functionName,
        includedEventTypes: EMITTED_EVENT_TYPES,
        maxDeliveryAttempts: 30,
        eventTimeToLiveInMinutes: 1440,
        schema: 'EventGridSchema',
      }));

  const seen = new Set<string>();
  for (const s of subscriptions) {
    const where = configured ? ` in ${configured.file}` : '';
    if (!eventGridFunctions.includes(s.functionName)) {
      throw new Error(
        `Event Grid subscription "${s.name}"${where} targets "${s.functionName}", which is not an eventGridTrigger ` +
          `function. Known: ${eventGridFunctions.join(', ') || '(none)'}.`,
      );
    }
    // Names are compared case-insensitively by Event Grid, and key the bridge's stored outbox.
    const key = s.name.toLowerCase();
    if (seen.has(key)) throw new Error(`Event Grid subscription name "${s.name}" is used twice${where}.`);
    seen.add(key);
  }
  return applyMaxAttemptsOverride(subscriptions, process.env[MAX_ATTEMPTS_ENV]);
}

function readConfiguredSubscriptions(files: string[]) {
  for (const file of files) {
    if (!existsSync(file)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    // devhost.json may hold other sections; only ours is validated here.
    if (typeof raw !== 'object' || raw === null || !('eventGridSubscriptions' in raw)) continue;
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`Invalid eventGridSubscriptions in ${file}:\n${z.prettifyError(parsed.error)}`);
    }
    return { file, subscriptions: parsed.data.eventGridSubscriptions };
  }
  return undefined;
}

function applyMaxAttemptsOverride(subscriptions: BridgeSubscription[], raw: string | undefined): BridgeSubscription[] {
  if (raw === undefined || raw === '') return subscriptions;
  const attempts = Number(raw);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 30) {
    throw new Error(`${MAX_ATTEMPTS_ENV} must be an integer from 1 to 30, got "${raw}".`);
  }
  return subscriptions.map((s) => ({ ...s, maxDeliveryAttempts: attempts }));
}
