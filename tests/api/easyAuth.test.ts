import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type DevUser, type RunningDevhost } from '../helpers/devhost';
import { apiClient, forgedAdminPrincipal, placeholderStorage, users } from './apiClient';

// The app as deployed on Azure (the platform sets WEBSITE_INSTANCE_ID): principal headers are believed only when App
// Service Authentication is on, because only then does the platform strip the ones a client sends.

// LABEL_STORE_PATH: on Azure the app refuses the embedded store unless it is asked for explicitly.
const storeDir = mkdtempSync(path.join(tmpdir(), 'easy-auth-'));
const onAzure = (name: string) => ({
  AzureWebJobsStorage: placeholderStorage,
  WEBSITE_INSTANCE_ID: 'test-instance-0001',
  LABEL_STORE_PATH: path.join(storeDir, `${name}.db`),
});
const accounts = [users.admin, users.labeler] as DevUser[];
let withoutEasyAuth: RunningDevhost;
let withEasyAuth: RunningDevhost;

beforeAll(async () => {
  [withoutEasyAuth, withEasyAuth] = await Promise.all([
    startDevhost({ env: onAzure('without'), users: accounts }),
    startDevhost({ env: { ...onAzure('with'), WEBSITE_AUTH_ENABLED: 'True' }, users: accounts }),
  ]);
});
afterAll(async () => {
  await Promise.all([withoutEasyAuth?.stop(), withEasyAuth?.stop()]);
  withoutEasyAuth?.cleanup();
  withEasyAuth?.cleanup();
  rmSync(storeDir, { recursive: true, force: true });
});

interface Health {
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('on Azure without App Service Authentication', () => {
  const api = apiClient(() => withoutEasyAuth);

  it('believes no principal: every call is 401, a forged admin header included', async () => {
    expect((await api.admin.get('projects')).status).toBe(401);
    const forged = await api.call('GET', 'projects', { headers: forgedAdminPrincipal() });
    expect(forged.status).toBe(401);
  });

  it('says why in /api/health and in the log', async () => {
    const res = await fetch(`${withoutEasyAuth.baseUrl}/api/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Health;
    expect(body.checks.auth).toMatchObject({
      ok: false,
      error: expect.stringMatching(/App Service Authentication is off/),
    });
    expect(withoutEasyAuth.output()).toMatch(/App Service Authentication is off/);
  });
});

describe('on Azure with App Service Authentication on', () => {
  const api = apiClient(() => withEasyAuth);

  it('identifies callers from the platform’s principal headers', async () => {
    expect((await api.admin.get('projects')).status).toBe(200);
    expect((await api.labeler.get('projects')).status).toBe(200);
    const res = await fetch(`${withEasyAuth.baseUrl}/api/health`);
    expect(((await res.json()) as Health).checks.auth).toMatchObject({ ok: true });
  });
});
