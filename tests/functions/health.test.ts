import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingProbe, runHealthChecks, type HealthProbe } from '../../shared/ports/healthProbe';
import { repoRoot, startDevhost, type RunningDevhost } from '../helpers/devhost';

// The HTTP tests run the shipped app (package.json `main`, built by `npm run build`) on a real devhost process.

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
// Pin the label store to the embedded SQLite one in the test's data dir, whatever the developer's environment says.
const sqliteStore = { COSMOS_ENDPOINT: '', LABEL_STORE_PATH: '' };
const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

interface HealthBody {
  status: string;
  version: string;
  uptimeSeconds: number;
  checks: Record<string, { ok: boolean; latencyMs?: number; error?: string; kind?: string }>;
}

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('GET /api/health with the embedded Azurite', () => {
  let host: RunningDevhost;
  beforeAll(async () => {
    host = await startDevhost({ services: true, env: sqliteStore });
  });
  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('answers 200 with version, uptime and a reachable blob account, without a key', async () => {
    const res = await fetch(`${host.baseUrl}/api/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe('ok');
    expect(body.version).toBe(version);
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.checks.blob).toMatchObject({ ok: true, kind: 'azure-blob' });
    expect(body.checks.blob!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.checks.blob!.error).toBeUndefined();
    expect(body.checks.store).toMatchObject({ ok: true, kind: 'sqlite' });
  });
});

describe('GET /api/health without reachable blob storage', () => {
  let host: RunningDevhost;
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
    host = await startDevhost({
      services: false,
      env: {
        ...sqliteStore,
        AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${devAccountKey};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
      },
    });
  });
  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('answers 503 and names the failing check', async () => {
    const started = Date.now();
    const res = await fetch(`${host.baseUrl}/api/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe('unhealthy');
    expect(body.version).toBe(version);
    expect(body.checks.blob!.ok).toBe(false);
    expect(body.checks.blob!.error).toContain(`127.0.0.1:${port}`);
    expect(body.checks.store!.ok).toBe(true);
    // The check is bounded: one try, no retries with backoff (the SDK's own retries would take over a minute).
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('runHealthChecks', () => {
  it('bounds a hanging check and aborts it', async () => {
    let aborted = false;
    const hanging: HealthProbe = {
      name: 'slow',
      check: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const report = await runHealthChecks([hanging], 50);
    expect(report.status).toBe('unhealthy');
    expect(report.checks.slow).toMatchObject({ ok: false, error: 'timed out after 50 ms' });
    expect(aborted).toBe(true);
  });

  it('reports a dependency that cannot be constructed or does not answer as a failed check', async () => {
    const report = await runHealthChecks(
      [
        pingProbe('misconfigured', () => {
          throw new Error('COSMOS_ENDPOINT is not a URL\nstack…');
        }),
        pingProbe('down', () => ({ kind: 'cosmos', ping: () => Promise.reject(new Error('ECONNREFUSED')) })),
        pingProbe('up', () => ({ kind: 'sqlite', ping: async () => {} })),
      ],
      1_000,
    );
    expect(report.status).toBe('unhealthy');
    expect(report.checks.misconfigured).toMatchObject({ ok: false, error: 'COSMOS_ENDPOINT is not a URL' });
    expect(report.checks.down).toMatchObject({ ok: false, kind: 'cosmos', error: 'ECONNREFUSED' });
    expect(report.checks.up).toMatchObject({ ok: true, kind: 'sqlite' });
  });
});
