import fc from 'fast-check';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { shuffleKeyFor, taskIdFor, type Task, type TaskState } from '../../shared/domain/task';
import { durableApi } from '../helpers/durable';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { aSpec, apiClient, fieldsOf, users } from './apiClient';
import { mutationArb, validSpecArb } from './createSpecArbitraries';

// The shipped app (package.json `main`) on a real devhost with Azurite, called over HTTP as an admin would.

let host: RunningDevhost;
const api = apiClient(() => host);
const { admin } = api;

beforeAll(async () => {
  host = await startDevhost({ services: true, users: Object.values(users) });
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

async function projectCount(): Promise<number> {
  const res = await admin.get('projects');
  expect(res.status).toBe(200);
  return res.body.items!.length;
}

describe('projects: create, read, list, update, archive', () => {
  it('runs the whole life cycle of a project', async () => {
    const created = await admin.post('projects', {
      id: 'life-cycle',
      name: '  Street scenes  ',
      type: 'objectDetection',
      labels: [{ name: 'car', color: '#ff0000' }, { name: 'person' }],
      instructions: 'Box every car and person.',
      dataset: { container: 'street-scenes', prefix: 'batch1/' },
      batchPolicy: { size: 50 },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/projects/life-cycle');
    expect(created.headers.get('etag')).toMatch(/^".+"$/);
    expect(created.body).toMatchObject({
      id: 'life-cycle',
      name: 'Street scenes',
      status: 'active',
      createdBy: users.admin.id,
      dataset: { container: 'street-scenes', prefix: 'batch1/', connectionSetting: 'AzureWebJobsStorage' },
      mlAssist: { enabled: true, initialTrainingThreshold: 250 },
      batchPolicy: { size: 50, leaseMinutes: 60 },
      backfill: { instanceId: 'backfill-life-cycle' },
    });
    expect(created.body.dataset!.extensions).toContain('jpg');

    const read = await api.call('GET', created.headers.get('location')!.slice('/api/'.length), {
      token: users.admin.token,
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
    expect(read.body.counters).toMatchObject({ total: 0, remaining: 0, byState: { new: 0, rejected: 0 } });
    expect(read.body.backfill).toMatchObject({ instanceId: 'backfill-life-cycle' });

    const listed = await admin.get('projects');
    expect(listed.body.items!.map((p) => p.id)).toContain('life-cycle');

    const updated = await admin.patch('projects/life-cycle', {
      addLabels: [{ name: 'bicycle' }],
      instructions: 'Box every car, person and bicycle.',
      status: 'paused',
      mlAssist: { enabled: false },
      batchPolicy: { leaseMinutes: 30 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.labels!.map((l) => l.name)).toEqual(['car', 'person', 'bicycle']);
    expect(updated.body).toMatchObject({
      status: 'paused',
      instructions: 'Box every car, person and bicycle.',
      // Fields the PATCH did not mention keep their values.
      mlAssist: { enabled: false, initialTrainingThreshold: 250 },
      batchPolicy: { size: 50, leaseMinutes: 30 },
    });
    expect(updated.headers.get('etag')).not.toBe(created.headers.get('etag'));

    const resumed = await admin.patch('projects/life-cycle', { status: 'active', mlAssist: { enabled: true } });
    expect(resumed.body).toMatchObject({ status: 'active', mlAssist: { enabled: true } });

    const archived = await admin.post('projects/life-cycle/archive');
    expect(archived.status).toBe(200);
    expect(archived.body.status).toBe('archived');
    const again = await admin.post('projects/life-cycle/archive');
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe(archived.headers.get('etag'));

    const afterArchive = await admin.patch('projects/life-cycle', { instructions: 'too late' });
    expect(afterArchive.status).toBe(409);
    expect((await admin.get('projects?status=archived')).body.items!.map((p) => p.id)).toContain('life-cycle');
    expect((await admin.get('projects?status=active')).body.items!.map((p) => p.id)).not.toContain('life-cycle');
  });

  it('makes the id from the name when the client sends none', async () => {
    const res = await admin.post('projects', { ...aSpec('unused'), id: undefined, name: 'Crème Brûlée & Co. 2024' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^creme-brulee-co-2024-[a-z0-9]{6}$/);
    expect((await admin.get(`projects/${res.body.id}`)).status).toBe(200);
  });

  it('starts the backfillProject orchestration for the new project', async () => {
    await admin.post('projects', aSpec('with-backfill'));
    const { code, body } = await durableApi(host).status('backfill-with-backfill');
    expect(code).not.toBe(404);
    expect(body).toMatchObject({ name: 'backfillProject', input: { projectId: 'with-backfill' } });
  });

  it('answers a retried create with the existing project, and 409 when the id was created from another spec', async () => {
    const first = await admin.post('projects', aSpec('retried'));
    expect(first.status).toBe(201);
    const count = await projectCount();

    const retry = await admin.post('projects', aSpec('retried'));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));

    const different = await admin.post('projects', aSpec('retried', { name: 'Something else' }));
    expect(different.status).toBe(409);
    expect(different.headers.get('content-type')).toBe('application/problem+json');
    expect(fieldsOf(different.body)).toEqual(['id']);
    expect(await projectCount()).toBe(count);
    expect((await admin.get('projects/retried')).body.name).toBe('Project retried');
  });
});

describe('projects: bad input is refused, nothing is written', () => {
  it('names the invalid field (dataset.container)', async () => {
    const before = await projectCount();
    const res = await admin.post('projects', aSpec('bad-container', { dataset: { container: 'Not_A_Container' } }));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 422, title: 'Invalid request' });
    expect(fieldsOf(res.body)).toEqual(['dataset.container']);
    expect(res.body.detail).toContain('dataset.container');
    expect(await projectCount()).toBe(before);
    expect((await admin.get('projects/bad-container')).status).toBe(404);
  });

  it('refuses invalid JSON (400), other content types (415) and bodies over 1 MB (413)', async () => {
    const before = await projectCount();
    const token = users.admin.token;
    const json = { 'content-type': 'application/json' };
    const broken = await api.call('POST', 'projects', { token, rawBody: '{"id": "x",', headers: json });
    expect(broken.status).toBe(400);
    expect(broken.body.title).toBe('Invalid JSON');
    const empty = await api.call('POST', 'projects', { token, rawBody: '', headers: json });
    expect(empty.status).toBe(400);
    const text = JSON.stringify(aSpec('as-text'));
    const plain = await api.call('POST', 'projects', {
      token,
      rawBody: text,
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(415);
    const none = await api.call('POST', 'projects', { token, rawBody: text });
    expect(none.status).toBe(415);
    const huge = await admin.post('projects', aSpec('huge', { instructions: 'x'.repeat(1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toBe('application/problem+json');
    expect(await projectCount()).toBe(before);
  });

  it('checks updates against the stored project', async () => {
    await admin.post('projects', aSpec('patch-rules', { type: 'imageClassification' }));
    const etag = (await admin.get('projects/patch-rules')).headers.get('etag');
    const cases: Array<[unknown, number, string[]]> = [
      [{}, 422, ['body']],
      [{ color: 'blue' }, 422, ['color']],
      [{ status: 'archived' }, 422, ['status']],
      [{ addLabels: [{ name: 'CAT' }] }, 422, ['addLabels.0.name']],
      [{ addLabels: [{ name: 'cat', color: '#00ff00' }] }, 422, ['addLabels.0.name']],
      [{ addLabels: [{ name: 'fox' }, { name: 'Fox' }] }, 422, ['addLabels.1.name']],
      [{ mlAssist: { enabled: true } }, 422, ['mlAssist.enabled']],
      [{ batchPolicy: { size: 0 } }, 422, ['batchPolicy.size']],
    ];
    for (const [body, status, fields] of cases) {
      const res = await admin.patch('projects/patch-rules', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    expect((await admin.get('projects/patch-rules')).headers.get('etag')).toBe(etag);

    // Re-adding a label exactly as it is changes nothing (a retried PATCH succeeds).
    const same = await admin.patch('projects/patch-rules', { addLabels: [{ name: 'cat', color: '#ff0000' }] });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe(etag);
  });

  it('answers 400 naming the query parameter', async () => {
    await admin.post('projects', aSpec('query-rules'));
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['state=done', 'state'],
    ]) {
      const res = await admin.get(`projects/query-rules/tasks?${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(res.body), query).toEqual([field]);
    }
    const res = await admin.get('projects?status=deleted');
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body)).toEqual(['status']);
  });

  it('answers 404 for a project that does not exist', async () => {
    for (const id of ['no-such-project', 'Not_An_Id']) {
      expect((await admin.get(`projects/${id}`)).status).toBe(404);
      expect((await admin.patch(`projects/${id}`, { instructions: 'x' })).status).toBe(404);
      expect((await admin.post(`projects/${id}/archive`)).status).toBe(404);
      expect((await admin.get(`projects/${id}/tasks`)).status).toBe(404);
    }
  });

  it('rejects generated one-field mutations of valid specs over HTTP, naming the field', async () => {
    const before = await projectCount();
    await fc.assert(
      fc.asyncProperty(validSpecArb, mutationArb, async (spec, mutation) => {
        const res = await admin.post('projects', mutation.apply(spec));
        expect(res.status, mutation.what).toBe(422);
        expect(fieldsOf(res.body), mutation.what).toContain(mutation.field);
      }),
      { numRuns: 30 },
    );
    expect(await projectCount()).toBe(before);
  });

  it('accepts generated valid specs over HTTP', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(validSpecArb, fc.boolean(), async (spec, chooseId) => {
        // The generated setting name must exist in the app: this host has AzureWebJobsStorage only.
        const dataset = { ...spec.dataset, connectionSetting: 'AzureWebJobsStorage' };
        const body = { ...spec, dataset, id: chooseId ? `generated-${n++}` : undefined };
        const res = await admin.post('projects', body);
        expect(res.status, JSON.stringify(body)).toBe(201);
        expect(res.body.name).toBe((spec.name as string).trim());
      }),
      { numRuns: 8 },
    );
  });
});

describe('projects: optimistic concurrency', () => {
  it('applies a PATCH with If-Match only to the version the caller read (412 otherwise)', async () => {
    const created = await admin.post('projects', aSpec('if-match'));
    const etag = created.headers.get('etag')!;

    const first = await admin.patch('projects/if-match', { instructions: 'v2' }, { headers: { 'if-match': etag } });
    expect(first.status).toBe(200);
    const stale = await admin.patch('projects/if-match', { instructions: 'v3' }, { headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect((await admin.get('projects/if-match')).body.instructions).toBe('v2');

    const current = first.headers.get('etag')!;
    const ok = await admin.patch('projects/if-match', { instructions: 'v3' }, { headers: { 'if-match': current } });
    expect(ok.status).toBe(200);
    const any = await admin.patch('projects/if-match', { instructions: 'v4' }, { headers: { 'if-match': '*' } });
    expect(any.status).toBe(200);
  });

  it('loses no change when PATCHes without If-Match race', async () => {
    await admin.post('projects', aSpec('racing'));
    const names = ['bus', 'truck', 'tram', 'van', 'scooter', 'moped'];
    const results = await Promise.all(names.map((name) => admin.patch('projects/racing', { addLabels: [{ name }] })));
    expect(results.map((r) => r.status)).toEqual(names.map(() => 200));
    const labels = (await admin.get('projects/racing')).body.labels!.map((l) => l.name);
    expect(labels.sort()).toEqual(['cat', 'dog', ...names].sort());
  });
});

describe('GET /api/projects/{p}/tasks', () => {
  const projectId = 'listing';
  const at = '2025-01-01T00:00:00.000Z';

  function aTask(n: number, state: TaskState, extra: Partial<Task> = {}): Task {
    const blobPath = `img/${String(n).padStart(3, '0')}.jpg`;
    const id = taskIdFor('c-listing', blobPath);
    return {
      id,
      projectId,
      container: 'c-listing',
      blobPath,
      blobUrl: `http://127.0.0.1/devstoreaccount1/c-listing/${blobPath}`,
      contentType: 'image/jpeg',
      sizeBytes: 1000,
      width: 640,
      height: 480,
      eTag: `"e${n}"`,
      sequencer: '',
      state,
      shuffleKey: shuffleKeyFor(id),
      createdAt: at,
      updatedAt: at,
      ...extra,
    };
  }

  beforeAll(async () => {
    expect((await admin.post('projects', aSpec(projectId))).status).toBe(201);
    // Tasks are written straight into the store the host uses (ingestion is tested elsewhere).
    const store = new SqliteStore(path.join(host.dataDir, 'labels.db'));
    const tasks = [
      ...[0, 1, 2, 3, 4].map((n) => aTask(n, 'new')),
      aTask(5, 'rejected', { rejectReason: 'unsupported content type text/plain', width: null, height: null }),
      aTask(6, 'rejected', { rejectReason: 'unreadable image header', width: null, height: null }),
      ...[7, 8, 9].map((n) => aTask(n, 'labeled', { annotation: { boxes: [], by: 'alice', at } })),
      aTask(10, 'skipped', { skip: { by: 'bob', at, reason: 'bad image' } }),
    ];
    await store.tasks.mutateMany(
      projectId,
      tasks.map((task) => ({ taskId: task.id, mutation: () => ({ kind: 'write', task }) })),
    );
    await store.close();
  });

  it('shows rejected blobs with their reason', async () => {
    const res = await admin.get(`projects/${projectId}/tasks?state=rejected`);
    expect(res.status).toBe(200);
    expect(res.body.items!.map((t) => t.rejectReason).sort()).toEqual([
      'unreadable image header',
      'unsupported content type text/plain',
    ]);
    expect(res.body.continuationToken).toBeUndefined();
  });

  it('filters by labeler and state', async () => {
    const alice = await admin.get(`projects/${projectId}/tasks?labeler=alice`);
    expect(alice.body.items!.map((t) => t.state)).toEqual(['labeled', 'labeled', 'labeled']);
    const bob = await admin.get(`projects/${projectId}/tasks?labeler=bob&state=skipped`);
    expect(bob.body.items).toHaveLength(1);
    expect((await admin.get(`projects/${projectId}/tasks?labeler=bob&state=labeled`)).body.items).toEqual([]);
  });

  it('pages through every task exactly once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: '4', ...(token ? { continuationToken: token } : {}) });
      const res = await admin.get(`projects/${projectId}/tasks?${query}`);
      expect(res.status).toBe(200);
      expect(res.body.items!.length).toBeLessThanOrEqual(4);
      seen.push(...res.body.items!.map((t) => t.id));
      token = res.body.continuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(11);
    expect((await admin.get(`projects/${projectId}/tasks`)).body.items).toHaveLength(11);
  });

  it('counts the tasks on the project', async () => {
    const res = await admin.get(`projects/${projectId}`);
    expect(res.body.counters).toMatchObject({
      byState: { new: 5, rejected: 2, labeled: 3, skipped: 1 },
      total: 9,
      remaining: 5,
    });
  });
});
