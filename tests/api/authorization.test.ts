import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { aSpec, apiClient, forgedAdminPrincipal, placeholderStorage, type CallOptions } from './apiClient';

// devhost's front door as a first-time user meets it: no users.json yet, so it creates one with an admin and prints
// the token once. The 401/403 matrix then runs over every project endpoint.

let host: RunningDevhost;
let firstHost: RunningDevhost;
let adminToken: string;
const labelerToken = 'matrix-labeler-token';
const api = apiClient(() => host);
const tokenLine = /Its token is shown only now: call the API with "Authorization: Bearer (\S+)"/;

beforeAll(async () => {
  host = firstHost = await startDevhost({ services: false, env: { AzureWebJobsStorage: placeholderStorage } });
  adminToken = tokenLine.exec(host.output())![1]!;
  // Scripts add users to the running host by editing the file.
  const file = path.join(host.dataDir, 'users.json');
  const content = JSON.parse(readFileSync(file, 'utf8')) as { users: unknown[] };
  content.users.push({ id: 'lena', name: 'Lena', roles: ['labeler'], token: labelerToken });
  writeFileSync(file, JSON.stringify(content));
});
afterAll(async () => {
  await host?.stop();
  firstHost?.cleanup();
});

interface Endpoint {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** What an admin gets. */
  ok: number;
}

const endpoints: Endpoint[] = [
  { name: 'create', method: 'POST', path: 'projects', body: aSpec('matrix-created'), ok: 201 },
  { name: 'list', method: 'GET', path: 'projects', ok: 200 },
  { name: 'get', method: 'GET', path: 'projects/matrix', ok: 200 },
  { name: 'update', method: 'PATCH', path: 'projects/matrix', body: { instructions: 'changed' }, ok: 200 },
  { name: 'archive', method: 'POST', path: 'projects/matrix-archived/archive', ok: 200 },
  { name: 'tasks', method: 'GET', path: 'projects/matrix/tasks', ok: 200 },
  { name: 'orchestrations', method: 'GET', path: 'projects/matrix/orchestrations', ok: 200 },
  {
    name: 'import',
    method: 'POST',
    path: 'projects/matrix/imports',
    body: { format: 'coco', source: { inline: { images: [], annotations: [], categories: [] } } },
    ok: 200,
  },
  // No import has this id: an admin gets past the checks to a 404.
  { name: 'import status', method: 'GET', path: 'projects/matrix/imports/iAAAAAAAAAAAAAAAAAAAAAA', ok: 404 },
  { name: 'export', method: 'POST', path: 'projects/matrix/exports', body: { format: 'coco' }, ok: 202 },
  // No export has this id: an admin gets past the checks to a 404.
  { name: 'export status', method: 'GET', path: 'projects/matrix/exports/xAAAAAAAAAAAAAAAAAAAAAA', ok: 404 },
];

function call(e: Endpoint, options: CallOptions) {
  return api.call(e.method, e.path, { body: e.body, ...options });
}

describe("devhost's front door", () => {
  it('created users.json with one admin and printed its token once', () => {
    expect(host.output().match(new RegExp(tokenLine, 'g'))).toHaveLength(1);
    const file = JSON.parse(readFileSync(path.join(host.dataDir, 'users.json'), 'utf8')) as {
      users: Array<{ id: string; roles: string[]; token: string }>;
    };
    expect(file.users[0]).toMatchObject({ id: 'admin', roles: ['admin'], token: adminToken });
  });

  it('treats an unknown token or another scheme as no caller', async () => {
    for (const authorization of ['Bearer not-a-user', `Basic ${adminToken}`, adminToken]) {
      const res = await api.call('GET', 'projects', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });
});

describe('401/403 matrix over every project endpoint', () => {
  beforeAll(async () => {
    for (const id of ['matrix', 'matrix-archived']) {
      const res = await api.call('POST', 'projects', { token: adminToken, body: aSpec(id) });
      expect(res.status).toBe(201);
    }
  });

  it.each(endpoints)('$name: no token → 401, labeler → 403, forged principal stripped, admin → OK', async (e) => {
    const anonymous = await call(e, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');

    const labeler = await call(e, { token: labelerToken });
    if (e.name === 'list') {
      // Labelers may list projects, but see only those they are members of (none here).
      expect(labeler.status).toBe(200);
      expect(labeler.body.items).toEqual([]);
    } else {
      expect(labeler.status).toBe(403);
      expect(labeler.body.detail).toContain('admin');
    }

    // A client cannot claim to be an admin by sending the platform's headers itself.
    expect((await call(e, { headers: forgedAdminPrincipal() })).status).toBe(401);
    const forgedLabeler = await call(e, { token: labelerToken, headers: forgedAdminPrincipal() });
    if (e.name === 'list') expect(forgedLabeler.body.items).toEqual([]);
    else expect(forgedLabeler.status).toBe(403);

    if (e.name === 'create') {
      // Nothing was created by the refused calls.
      expect((await api.call('GET', 'projects/matrix-created', { token: adminToken })).status).toBe(404);
    }
    const asAdmin = await call(e, { token: adminToken });
    expect(asAdmin.status, JSON.stringify(asAdmin.body)).toBe(e.ok);
  });

  it('left the refused requests without effect', async () => {
    const project = await api.call('GET', 'projects/matrix', { token: adminToken });
    expect(project.body.instructions).toBe('changed');
    expect(project.body.createdBy).toBe('admin');
  });
});

describe('restarting on the same data directory', () => {
  it('keeps the users and does not print a token again', async () => {
    await host.stop();
    host = await startDevhost({
      dataDir: host.dataDir,
      services: false,
      env: { AzureWebJobsStorage: placeholderStorage },
    });
    expect(host.output()).not.toMatch(tokenLine);
    expect((await api.call('GET', 'projects', { token: adminToken })).status).toBe(200);
    // The labeler is still known (200, not 401) and still only a labeler (403 on an admin endpoint).
    expect((await api.call('GET', 'projects', { token: labelerToken })).status).toBe(200);
    expect((await api.call('GET', 'projects/matrix', { token: labelerToken })).status).toBe(403);
  });
});
