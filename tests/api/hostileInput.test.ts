import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { rawRequest } from '../helpers/rawHttp';
import { aSpec, apiClient, fieldsOf, placeholderStorage, users } from './apiClient';

// The project endpoints against input a hostile or careless client sends: number tricks in the query string,
// unknown nested fields, a storage setting the app does not have, a forged Host header, control characters in ids.
// Each is refused with problem+json naming the field, and nothing is written.

let host: RunningDevhost;
const api = apiClient(() => host);
const { admin } = api;

beforeAll(async () => {
  host = await startDevhost({
    services: false,
    users: Object.values(users),
    // AzureWebJobsStorage is deliberately missing: projects must name DATASET_STORAGE.
    env: { AzureWebJobsStorage: '', DATASET_STORAGE: placeholderStorage },
  });
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

/** A valid spec on the app setting this host has. */
const spec = (id: string, overrides: Record<string, unknown> = {}) =>
  aSpec(id, { dataset: { container: `c-${id}`, connectionSetting: 'DATASET_STORAGE' }, ...overrides });

async function created(id: string): Promise<void> {
  const res = await admin.post('projects', spec(id));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

describe('numeric query parameters', () => {
  beforeAll(() => created('numbers'));

  it('accept plain decimal integers only: 400 naming the parameter for every other spelling', async () => {
    for (const limit of [
      '0x10',
      '1e2',
      '1.5',
      '%205',
      '5%20',
      '%2B5',
      '+5',
      '-0',
      '-5',
      '5,6',
      '',
      'Infinity',
      '010',
    ]) {
      const res = await admin.get(`projects/numbers/tasks?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.headers.get('content-type'), limit).toBe('application/problem+json');
      expect(fieldsOf(res.body), limit).toEqual(['limit']);
    }
    for (const limit of ['1', '7', '1000']) {
      expect((await admin.get(`projects/numbers/tasks?limit=${limit}`)).status, limit).toBe(200);
    }
  });
});

describe('unknown fields inside the objects of a create', () => {
  it('are refused with 422 naming each, and no project is created', async () => {
    const res = await admin.post(
      'projects',
      spec('nested-extras', {
        labels: [{ name: 'cat', shape: 'round' }],
        dataset: { container: 'c-nested', connectionSetting: 'DATASET_STORAGE', connectionString: 'secret' },
        batchPolicy: { sizes: 10 },
        incrementalRefresh: { every: 5 },
      }),
    );
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body).sort()).toEqual([
      'batchPolicy.sizes',
      'dataset.connectionString',
      'incrementalRefresh.every',
      'labels.0.shape',
    ]);
    expect((await admin.get('projects/nested-extras')).status).toBe(404);
  });
});

describe('dataset.connectionSetting', () => {
  it('must name an app setting the app has (the default AzureWebJobsStorage too): 422, nothing written', async () => {
    const missing = await admin.post(
      'projects',
      spec('no-setting', { dataset: { container: 'c-x', connectionSetting: 'NOPE' } }),
    );
    expect(missing.status).toBe(422);
    expect(fieldsOf(missing.body)).toEqual(['dataset.connectionSetting']);
    expect(missing.body.detail).toContain('NOPE');
    expect((await admin.get('projects/no-setting')).status).toBe(404);

    const byDefault = await admin.post('projects', aSpec('default-setting'));
    expect(byDefault.status).toBe(422);
    expect(fieldsOf(byDefault.body)).toEqual(['dataset.connectionSetting']);
    expect((await admin.get('projects/default-setting')).status).toBe(404);

    await created('has-setting');
  });
});

describe('URLs the API returns', () => {
  // (A request target with an authority, `//evil.example/api/...`, never reaches the app: devhost treats it as a
  // path, see tests/devhost/http.test.ts.)
  const forged: Array<{ what: string; target: string; headers: Record<string, string> }> = [
    { what: 'a forged Host header', target: '/api/projects', headers: { host: 'evil.example' } },
    { what: 'a forwarded host', target: '/api/projects', headers: { 'x-forwarded-host': 'evil.example' } },
  ];

  it.each(forged)('create: Location is a path on this API whatever the caller sends ($what)', async (f) => {
    const id = `loc-${forged.indexOf(f)}`;
    const res = await rawRequest(host.baseUrl, {
      method: 'POST',
      target: f.target,
      headers: {
        ...f.headers,
        authorization: `Bearer ${users.admin.token}`,
        'content-type': 'application/json',
      },
      chunkedBody: JSON.stringify(spec(id)),
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/projects/${id}`);
  });

  it.each(forged)('refresh: Location and statusUrl are paths on this API ($what)', async (f) => {
    await created(`refresh-${forged.indexOf(f)}`);
    const path = `${f.target}/refresh-${forged.indexOf(f)}/refresh`;
    const res = await rawRequest(host.baseUrl, {
      method: 'POST',
      target: path,
      headers: { ...f.headers, authorization: `Bearer ${users.admin.token}` },
    });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/projects/refresh-${forged.indexOf(f)}`);
    expect(res.body.statusUrl).toBe(res.headers.location);
  });
});

describe('project ids with control characters', () => {
  it('are refused in the body (422 naming id) and cannot name a project in a route (404)', async () => {
    for (const c of ['\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u009f']) {
      const id = `ctl${c}id`;
      const res = await admin.post('projects', spec(id));
      expect(res.status, JSON.stringify(c)).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(c)).toContain('id');
      expect((await admin.get(`projects/${encodeURIComponent(id)}`)).status).toBe(404);
    }
  });
});
