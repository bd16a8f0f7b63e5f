import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      maxConcurrentOrchestratorFunctions?: number;
    };
  };
}

export interface DevhostConfig {
  appDir: string;
  /** Overrides package.json `main` (tests load fixture apps this way). */
  main?: string;
  port: number;
  dataDir: string;
  routePrefix: string;
  maxRequestBodySize: number;
  hubName: string;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  /** Start Azurite and the blob → Event Grid bridge. */
  embeddedServices: boolean;
  azuritePort: number;
  logInvocations: boolean;
}

/**
 * Applies local.settings.json `Values` to the environment as `func start` does: a variable already set in the
 * environment wins over the file.
 */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(appDir, 'local.settings.json');
  if (!existsSync(file)) return;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  for (const [key, value] of Object.entries(parsed.Values ?? {})) {
    if (env[key] === undefined && value !== undefined && value !== null) env[key] = String(value);
  }
}

export function readHostJson(appDir: string): HostJson {
  const file = path.join(appDir, 'host.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HostJson) : {};
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}".`);
  return n;
}

export function loadConfig(appDir: string, env: NodeJS.ProcessEnv = process.env): DevhostConfig {
  applyLocalSettings(appDir, env);
  const host = readHostJson(appDir);
  const http = host.extensions?.http ?? {};
  const durable = host.extensions?.durableTask ?? {};
  return {
    appDir,
    main: env.DEVHOST_MAIN || undefined,
    port: intEnv(env, 'PORT', 7071),
    dataDir: path.resolve(appDir, env.DATA_DIR || '.data'),
    routePrefix: (http.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    // Same knob as on Azure: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes), default 100 MB.
    maxRequestBodySize: intEnv(env, 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', 100 * 1024 * 1024),
    hubName: durable.hubName ?? 'TestHubName',
    maxConcurrentActivities: durable.maxConcurrentActivityFunctions ?? 20,
    maxConcurrentOrchestrations: durable.maxConcurrentOrchestratorFunctions ?? 10,
    embeddedServices: env.DEVHOST_EMBEDDED_SERVICES !== '0',
    azuritePort: intEnv(env, 'AZURITE_BLOB_PORT', 10000),
    logInvocations: env.DEVHOST_LOG_INVOCATIONS !== '0',
  };
}
