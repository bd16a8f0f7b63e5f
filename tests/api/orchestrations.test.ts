import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelerSessionId } from '../../shared/domain/labelingIds';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { durableApi } from '../helpers/durable';
import { aSpec, apiClient, fieldsOf, placeholderStorage, users } from './apiClient';

// The ops view over a real devhost: two projects whose ids share a prefix (`ops`, `ops-eu`), each with a backfill
// (from its create), a labeler session (from a batch request) and an ML Assist coordinator. The listing of one must
// show its own instances and none of the other's, although every prefix query for `ops` also matches `ops-eu`'s ids.

let host: RunningDevhost;
const api = apiClient(() => host);

interface Instance {
  instanceId: string;
  kind: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  links: { status: string; history: string };
}
interface Listing {
  items: Instance[];
  continuationToken?: string;
}

async function list(projectId: string, query = ''): Promise<{ status: number; body: Listing }> {
  const res = await api.admin.get(`projects/${projectId}/orchestrations${query}`);
  return { status: res.status, body: res.body as unknown as Listing };
}

async function waitForListing(projectId: string, ids: string[]): Promise<Listing> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status, body } = await list(projectId);
    expect(status, JSON.stringify(body)).toBe(200);
    if (ids.every((id) => body.items.some((i) => i.instanceId === id))) return body;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${ids.join(', ')}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const own = (p: string) => ({
  backfill: `backfill-${p}`,
  mlAssist: `mlassist-${p}`,
  session: labelerSessionId(p, users.labeler.id),
});

beforeAll(async () => {
  host = await startDevhost({
    services: false,
    env: { AzureWebJobsStorage: placeholderStorage },
    users: [users.admin, users.labeler],
  });
  const durable = durableApi(host);
  for (const id of ['ops', 'ops-eu']) {
    expect((await api.admin.post('projects', aSpec(id))).status).toBe(201);
    const member = await api.call('PUT', `projects/${id}/members/${users.labeler.id}`, {
      token: users.admin.token,
      body: { role: 'labeler' },
    });
    expect(member.status).toBe(201);
    // Starts the labeler's session orchestration (the batch is empty, the project has no images; 202 while the
    // session is still allocating is as good: the session exists either way).
    expect([200, 202]).toContain((await api.labeler.post(`projects/${id}/batches`)).status);
    // The coordinator normally starts when labels reach a training threshold (at least 10 labeled images); here it
    // is started as the app starts it, by name with its instance id and input, through the management API.
    const started = await fetch(`${durable.base}/orchestrators/mlAssist/mlassist-${id}?code=${durable.key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: id }),
    });
    expect(started.status).toBe(202);
  }
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

describe('GET /api/projects/{projectId}/orchestrations', () => {
  it("lists the project's backfill, ML Assist coordinator and labeler session, and not another project's", async () => {
    const ids = own('ops');
    const listing = await waitForListing('ops', Object.values(ids));
    const byId = new Map(listing.items.map((i) => [i.instanceId, i]));
    expect(byId.get(ids.backfill)).toMatchObject({ kind: 'backfill', name: 'backfillProject' });
    expect(byId.get(ids.mlAssist)).toMatchObject({ kind: 'mlAssist', name: 'mlAssist' });
    expect(byId.get(ids.session)).toMatchObject({ kind: 'labelerSession', name: 'labelerSession' });
    expect([...byId.keys()].sort()).toEqual(Object.values(ids).sort());
    expect(listing.continuationToken).toBeUndefined();

    const other = await waitForListing('ops-eu', Object.values(own('ops-eu')));
    expect(other.items.map((i) => i.instanceId).sort()).toEqual(Object.values(own('ops-eu')).sort());
  });

  it("links to each instance's status and history on the management API, without a key", async () => {
    const { body } = await list('ops');
    const durable = durableApi(host);
    for (const item of body.items) {
      expect(item.links.status).toMatch(/^\/runtime\/webhooks\/durabletask\/instances\//);
      expect(item.links.status).not.toMatch(/code=/);
      expect(item.links.history).not.toMatch(/code=/);
      expect((await fetch(`${host.baseUrl}${item.links.history}`)).status).toBe(401);
      const res = await fetch(`${host.baseUrl}${item.links.history}&code=${durable.key}`);
      expect([200, 202]).toContain(res.status);
      const status = (await res.json()) as { instanceId: string; historyEvents?: Array<{ EventType: string }> };
      expect(status.instanceId).toBe(item.instanceId);
      expect(status.historyEvents?.[0]?.EventType).toBe('ExecutionStarted');
    }
  });

  it('pages through the same instances with a continuation token', async () => {
    const all = (await list('ops')).body.items.map((i) => i.instanceId).sort();
    const seen: string[] = [];
    let token: string | undefined;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(20);
      const query = `?limit=1${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`;
      const { status, body } = await list('ops', query);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(1);
      seen.push(...body.items.map((i) => i.instanceId));
      token = body.continuationToken;
      if (!token) break;
    }
    expect(seen.sort()).toEqual(all);
  });

  it('filters by kind and runtime status', async () => {
    const ml = await list('ops', '?kind=mlAssist');
    expect(ml.body.items.map((i) => i.instanceId)).toEqual(['mlassist-ops']);
    const two = await list('ops', '?kind=backfill,labelerSession');
    expect(two.body.items.map((i) => i.kind).sort()).toEqual(['backfill', 'labelerSession']);
    // Without a usable storage setting the backfill skips at once, so it has completed; the others still run.
    const completed = await list('ops', '?runtimeStatus=Completed');
    expect(completed.body.items.map((i) => i.instanceId)).toEqual(['backfill-ops']);
  });

  it('refuses bad parameters with 400 naming them', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=0x10', 'limit'],
      ['?kind=exports', 'kind'],
      ['?runtimeStatus=Sleeping', 'runtimeStatus'],
      ['?continuationToken=not-a-token', 'continuationToken'],
    ] as const) {
      const res = await api.admin.get(`projects/ops/orchestrations${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(res.body).join(), query).toContain(field);
    }
  });

  it('answers 404 for an unknown project', async () => {
    expect((await list('no-such-project')).status).toBe(404);
  });
});
