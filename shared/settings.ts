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
/** `fallback` '' leaves an unset setting unset (its default depends on other settings). */
function ncrontab(fallback: string) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      const value = v || fallback;
      if (value === '') return undefined;
      if (value.split(/\s+/).length !== 6) {
        ctx.addIssue({ code: 'custom', message: `must be an NCRONTAB expression with six fields, got "${value}"` });
        return z.NEVER;
      }
      return value;
    });
}

/** An Azure resource name segment (subscription id, resource group, workspace, compute). */
const resourceName = optionalText.pipe(
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._()-]{0,89}$/, 'must be an Azure resource name')
    .optional(),
);

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
  RECONCILE_SCHEDULE: ncrontab('0 */5 * * * *'), // never undefined: it has a fallback
  COUNTER_RECOUNT_MINUTES: integer(1, 10_080, 60),
  // ML Assist training: the built-in CPU trainer, or Azure ML GPU compute.
  TRAINING_BACKEND: optionalText.pipe(z.enum(['local', 'azureml']).optional()),
  TRAINING_POLL_SCHEDULE: ncrontab(''),
  TRAINING_CONTAINER: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name')
      .optional(),
  ),
  LOCAL_TRAINER_EPOCHS: integer(1, 1000, 20),
  LOCAL_TRAINER_INPUT_SIZE: integer(32, 640, 160).refine((v) => v % 16 === 0, 'must be a multiple of 16'),
  LOCAL_TRAINER_WORKERS: integer(1, 16, 1),
  AZUREML_SUBSCRIPTION_ID: resourceName,
  AZUREML_RESOURCE_GROUP: resourceName,
  AZUREML_WORKSPACE: resourceName,
  AZUREML_COMPUTE: resourceName,
  AZUREML_VM_SIZE: resourceName,
  AZUREML_MAX_NODES: integer(1, 100, 4),
  AZUREML_TRAINING_DATASTORE: resourceName,
  AZUREML_IMAGES_DATASTORE: resourceName,
  AZUREML_TRAINING_MODE: optionalText.pipe(z.enum(['automl', 'command']).optional()),
  AZUREML_SCORING_ENVIRONMENT: optionalText,
  AZUREML_COMMAND_ENVIRONMENT: optionalText,
  AZUREML_COMMAND_CODE: optionalText,
  AZUREML_COMMAND: optionalText,
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
  training: {
    pollSchedule: string;
    /** Blob container (in AzureWebJobsStorage's account) for training data, models and predictions. */
    container: string;
    /** The Azure ML datastore on the images container: dataset exports name images by it, whatever trains. */
    imagesDatastore: string;
    backend:
      | {
          kind: 'local';
          /** The built-in CPU trainer: passes over the data, square input side in pixels, worker threads. */
          epochs: number;
          inputSize: number;
          workers: number;
        }
      | {
          kind: 'azureml';
          subscriptionId: string;
          resourceGroup: string;
          workspace: string;
          compute: string;
          vmSize: string;
          maxNodes: number;
          trainingDatastore: string;
          imagesDatastore: string;
          mode: 'automl' | 'command';
          scoringEnvironment: string;
          command?: { environmentId: string; codeId?: string; command?: string };
        };
  };
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
  TRAINING_BACKEND: {
    optional: true,
    default: 'local',
    about: 'where ML Assist trains: local (built-in CPU trainer) or azureml (Azure ML GPU compute)',
  },
  TRAINING_POLL_SCHEDULE: {
    optional: true,
    default: '*/10 * * * * * (local), 0 * * * * * (azureml)',
    about: 'NCRONTAB of the timer that polls training runs and starts prelabeling',
  },
  TRAINING_CONTAINER: {
    optional: true,
    default: 'training',
    about: 'blob container for training data, models and predictions (AzureWebJobsStorage account)',
  },
  LOCAL_TRAINER_EPOCHS: { optional: true, default: '20', about: 'built-in CPU trainer: passes over the data (1-1000)' },
  LOCAL_TRAINER_INPUT_SIZE: {
    optional: true,
    default: '160',
    about: 'built-in CPU trainer: input side in pixels (32-640, a multiple of 16)',
  },
  LOCAL_TRAINER_WORKERS: {
    optional: true,
    default: '1',
    about: 'built-in CPU trainer: worker threads (1-16); 1 leaves a core to labelers, 2 trains ~1.6× faster',
  },
  AZUREML_SUBSCRIPTION_ID: { optional: true, about: 'Azure ML workspace subscription (required with azureml)' },
  AZUREML_RESOURCE_GROUP: { optional: true, about: 'Azure ML workspace resource group (required with azureml)' },
  AZUREML_WORKSPACE: { optional: true, about: 'Azure ML workspace name (required with azureml)' },
  AZUREML_COMPUTE: { optional: true, default: 'gpu-cluster', about: 'Azure ML compute cluster for training' },
  AZUREML_VM_SIZE: {
    optional: true,
    default: 'Standard_NC4as_T4_v3',
    about: 'GPU VM size of the cluster when the app has to create it',
  },
  AZUREML_MAX_NODES: { optional: true, default: '4', about: 'maximum nodes of the cluster when created (1-100)' },
  AZUREML_TRAINING_DATASTORE: {
    optional: true,
    default: 'mlassist_training',
    about: 'workspace datastore registered on TRAINING_CONTAINER (identity-based)',
  },
  AZUREML_IMAGES_DATASTORE: {
    optional: true,
    default: 'mlassist_images',
    about: 'workspace datastore registered on the images container (identity-based)',
  },
  AZUREML_TRAINING_MODE: {
    optional: true,
    default: 'automl',
    about: 'automl (AutoML image object detection) or command (your training script)',
  },
  AZUREML_SCORING_ENVIRONMENT: {
    optional: true,
    default: 'the curated automl-dnn-vision-gpu environment',
    about: 'environment of the prelabeling (scoring) job',
  },
  AZUREML_COMMAND_ENVIRONMENT: { optional: true, about: 'command mode: environment id of your training script' },
  AZUREML_COMMAND_CODE: { optional: true, about: 'command mode: code asset id holding the script' },
  AZUREML_COMMAND: { optional: true, about: 'command mode: the command line (default python train.py …)' },
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
  const training = trainingSettings(s);
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
    reconcileSchedule: s.RECONCILE_SCHEDULE!,
    counterRecountMinutes: s.COUNTER_RECOUNT_MINUTES,
    training,
    auth: authSettings(s.WEBSITE_INSTANCE_ID, s.WEBSITE_AUTH_ENABLED),
  };
}

/** Azure ML's curated AutoML vision environment (mlflow + azureml-automl-dnn-vision), from the `azureml` registry. */
const defaultScoringEnvironment = 'azureml://registries/azureml/environments/automl-dnn-vision-gpu/labels/latest';

function trainingSettings(s: z.output<typeof schema>): AppSettings['training'] {
  // Polling the local runner reads one small blob, so it is asked every 10 s; Azure ML jobs take minutes to hours,
  // and each poll is a billed execution, so once a minute there.
  const local = (s.TRAINING_BACKEND ?? 'local') === 'local';
  const common = {
    pollSchedule: s.TRAINING_POLL_SCHEDULE ?? (local ? '*/10 * * * * *' : '0 * * * * *'),
    container: s.TRAINING_CONTAINER ?? 'training',
    imagesDatastore: s.AZUREML_IMAGES_DATASTORE ?? 'mlassist_images',
  };
  if ((s.TRAINING_BACKEND ?? 'local') === 'local') {
    const backend = {
      kind: 'local' as const,
      epochs: s.LOCAL_TRAINER_EPOCHS,
      inputSize: s.LOCAL_TRAINER_INPUT_SIZE,
      workers: s.LOCAL_TRAINER_WORKERS,
    };
    return { ...common, backend };
  }
  const required: string[] = ['AZUREML_SUBSCRIPTION_ID', 'AZUREML_RESOURCE_GROUP', 'AZUREML_WORKSPACE'];
  if (s.AZUREML_TRAINING_MODE === 'command') required.push('AZUREML_COMMAND_ENVIRONMENT');
  const missing = required.filter((name) => s[name as keyof typeof s] === undefined);
  if (missing.length > 0) {
    const when = (name: string) =>
      name === 'AZUREML_COMMAND_ENVIRONMENT' ? 'AZUREML_TRAINING_MODE is command' : 'TRAINING_BACKEND is azureml';
    throw new SettingsError(missing.map((name) => `App setting ${name} is required when ${when(name)}`).join('; '));
  }
  return {
    ...common,
    backend: {
      kind: 'azureml',
      subscriptionId: s.AZUREML_SUBSCRIPTION_ID!,
      resourceGroup: s.AZUREML_RESOURCE_GROUP!,
      workspace: s.AZUREML_WORKSPACE!,
      compute: s.AZUREML_COMPUTE ?? 'gpu-cluster',
      vmSize: s.AZUREML_VM_SIZE ?? 'Standard_NC4as_T4_v3',
      maxNodes: s.AZUREML_MAX_NODES,
      trainingDatastore: s.AZUREML_TRAINING_DATASTORE ?? 'mlassist_training',
      imagesDatastore: s.AZUREML_IMAGES_DATASTORE ?? 'mlassist_images',
      mode: s.AZUREML_TRAINING_MODE ?? 'automl',
      scoringEnvironment: s.AZUREML_SCORING_ENVIRONMENT ?? defaultScoringEnvironment,
      ...(s.AZUREML_COMMAND_ENVIRONMENT
        ? {
            command: {
              environmentId: s.AZUREML_COMMAND_ENVIRONMENT,
              ...(s.AZUREML_COMMAND_CODE ? { codeId: s.AZUREML_COMMAND_CODE } : {}),
              ...(s.AZUREML_COMMAND ? { command: s.AZUREML_COMMAND } : {}),
            },
          }
        : {}),
    },
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
