import { z } from 'zod';

/**
 * Every app setting the app reads, in one place, typed and with its default. Parsed once from the environment (the
 * Functions host puts app settings there; devhost does the same from local.settings.json). A setting that does not
 * parse stops the app at startup with an error naming it. README's configuration table and the infrastructure draw
 * from `settingDocs`, which tests/domain/settings.test.ts keeps in step with the schema.
 */

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return Number(v);
    });
}

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

/** NCRONTAB: six fields, seconds first, as Azure Functions timers take them. */
const ncrontab = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    const value = v || '0 */5 * * * *';
    if (value.split(/\s+/).length !== 6) {
      ctx.addIssue({ code: 'custom', message: `must be an NCRONTAB expression with six fields, got "${value}"` });
      return z.NEVER;
    }
    return value;
  });

const schema = z.object({
  // Store: Cosmos DB when COSMOS_ENDPOINT is set, else the embedded SQLite file.
  COSMOS_ENDPOINT: optionalText.pipe(z.url().optional()),
  COSMOS_KEY: optionalText,
  COSMOS_DATABASE: optionalText,
  COSMOS_ALLOW_INSECURE_TLS: flag,
  LABEL_STORE_PATH: optionalText,
  DATA_DIR: optionalText,
  // Blob storage: the default connection setting of a project's dataset (each project may name another).
  AzureWebJobsStorage: optionalText,
  // Backfill runs.
  BACKFILL_PAGE_SIZE: integer(1, 5000, 1000),
  BACKFILL_CHECK_PAGE_SIZE: integer(1, 5000, 500),
  BACKFILL_CHECK_CONCURRENCY: integer(1, 256, 32),
  // The reconcile timer (blob reconciliation, lease sweep, counter repair, ML Assist safety net).
  RECONCILE_SCHEDULE: ncrontab,
  COUNTER_RECOUNT_MINUTES: integer(1, 10_080, 60),
  // Authentication: set by the platform on Azure (App Service / Functions), never by hand.
  WEBSITE_INSTANCE_ID: optionalText,
  WEBSITE_AUTH_ENABLED: optionalText,
});

export interface AppSettings {
  store:
    | {
        kind: 'cosmos';
        endpoint: string;
        key?: string;
        databaseId: string;
        allowInsecureTls: boolean;
        /** Create a missing database and containers: only with a key (Entra ID data roles cannot). */
        createMissing: boolean;
      }
    | { kind: 'sqlite'; file: string };
  blob: { defaultConnectionSetting: 'AzureWebJobsStorage' };
  backfill: { listPageSize: number; checkPageSize: number; checkConcurrency: number };
  reconcileSchedule: string;
  counterRecountMinutes: number;
  auth: {
    /** Running on Azure App Service / Functions (the platform sets WEBSITE_INSTANCE_ID). */
    onAzure: boolean;
    /** App Service Authentication (Easy Auth) is on: only then does the platform set and strip principal headers. */
    easyAuthEnabled: boolean;
    /**
     * Whether `x-ms-client-principal` headers may be believed: locally (devhost's front door sets them), or on Azure
     * with Easy Auth on. On Azure without it any client could send its own and become admin, so none is believed.
     */
    trustPrincipalHeaders: boolean;
  };
}

/** Every setting the schema reads (a test checks this list against `settingDocs` and the schema). */
export const settingNames = Object.keys(schema.shape) as Array<keyof z.input<typeof schema>>;

/** Names and meanings, for docs and infrastructure (a test checks that it lists exactly the schema's settings). */
export const settingDocs: Record<keyof z.input<typeof schema>, { optional: true; default?: string; about: string }> = {
  COSMOS_ENDPOINT: { optional: true, about: 'Cosmos DB account endpoint; unset: the embedded SQLite store' },
  COSMOS_KEY: { optional: true, about: 'Cosmos DB account key; unset: Microsoft Entra ID (managed identity)' },
  COSMOS_DATABASE: { optional: true, default: 'mlassist', about: 'Cosmos DB database id' },
  COSMOS_ALLOW_INSECURE_TLS: {
    optional: true,
    default: '0',
    about: '1 only for a local emulator with a self-signed certificate',
  },
  LABEL_STORE_PATH: { optional: true, default: '$DATA_DIR/labels.db', about: 'SQLite store file' },
  DATA_DIR: { optional: true, default: '.data', about: 'local state directory (SQLite store)' },
  AzureWebJobsStorage: {
    optional: true,
    about: 'storage connection string; the default dataset connection setting of a project',
  },
  BACKFILL_PAGE_SIZE: { optional: true, default: '1000', about: 'blobs per listing page (1-5000)' },
  BACKFILL_CHECK_PAGE_SIZE: { optional: true, default: '500', about: 'tasks per reconciliation page (1-5000)' },
  BACKFILL_CHECK_CONCURRENCY: { optional: true, default: '32', about: 'blob existence checks in flight (1-256)' },
  RECONCILE_SCHEDULE: { optional: true, default: '0 */5 * * * *', about: 'NCRONTAB of the reconcile timer' },
  COUNTER_RECOUNT_MINUTES: {
    optional: true,
    default: '60',
    about: 'how often the reconcile timer recounts and repairs a project’s counters (1-10080)',
  },
  WEBSITE_INSTANCE_ID: { optional: true, about: 'set by Azure: the app runs on App Service / Functions' },
  WEBSITE_AUTH_ENABLED: {
    optional: true,
    about: 'set by Azure: True when App Service Authentication is on (required on Azure to trust principals)',
  },
};

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Parses the settings from an environment; throws SettingsError naming every setting that does not parse. */
export function parseSettings(env: Record<string, string | undefined>): AppSettings {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k]]));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `App setting ${String(i.path[0])} ${i.message}`);
    throw new SettingsError(problems.join('; '));
  }
  const s = parsed.data;
  if (s.WEBSITE_INSTANCE_ID !== undefined && !s.COSMOS_ENDPOINT && !s.LABEL_STORE_PATH) {
    // On Azure the app's files are a read-only package mount, and instances do not share a disk: a silent fallback
    // to the embedded SQLite store would fail on the first write, or split the data between instances.
    throw new SettingsError(
      'App setting COSMOS_ENDPOINT is required on Azure: the embedded SQLite store needs a local, writable disk ' +
        '(set LABEL_STORE_PATH to a writable file only for a single-instance test deployment).',
    );
  }
  const dataDir = s.DATA_DIR ?? '.data';
  return {
    store: s.COSMOS_ENDPOINT
      ? {
          kind: 'cosmos',
          endpoint: s.COSMOS_ENDPOINT,
          ...(s.COSMOS_KEY ? { key: s.COSMOS_KEY } : {}),
          databaseId: s.COSMOS_DATABASE ?? 'mlassist',
          allowInsecureTls: s.COSMOS_ALLOW_INSECURE_TLS,
          createMissing: s.COSMOS_KEY !== undefined,
        }
      : { kind: 'sqlite', file: s.LABEL_STORE_PATH ?? `${dataDir.replace(/\/+$/, '')}/labels.db` },
    blob: { defaultConnectionSetting: 'AzureWebJobsStorage' },
    backfill: {
      listPageSize: s.BACKFILL_PAGE_SIZE,
      checkPageSize: s.BACKFILL_CHECK_PAGE_SIZE,
      checkConcurrency: s.BACKFILL_CHECK_CONCURRENCY,
    },
    reconcileSchedule: s.RECONCILE_SCHEDULE,
    counterRecountMinutes: s.COUNTER_RECOUNT_MINUTES,
    auth: authSettings(s.WEBSITE_INSTANCE_ID, s.WEBSITE_AUTH_ENABLED),
  };
}

function authSettings(instanceId: string | undefined, authEnabled: string | undefined): AppSettings['auth'] {
  const onAzure = instanceId !== undefined;
  const easyAuthEnabled = authEnabled?.toLowerCase() === 'true';
  return { onAzure, easyAuthEnabled, trustPrincipalHeaders: !onAzure || easyAuthEnabled };
}

let cached: { env: Record<string, string | undefined>; settings: AppSettings } | undefined;

/** The process's settings (parsed on first use; the host sets app settings before the app loads). */
export function appSettings(env: Record<string, string | undefined> = process.env): AppSettings {
  if (cached?.env !== env) cached = { env, settings: parseSettings(env) };
  return cached.settings;
}
