import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { durableApi, type OrchestrationStatus } from '../helpers/durable';

const app = 'dist/tests/fixtures/durable/*.js';

describe('the real DurableClient against devhost over HTTP', () => {
  let host: RunningDevhost;
  let api: ReturnType<typeof durableApi>;

  beforeAll(async () => {
    host = await startDevhost({ app });
    api = durableApi(host);
  });
  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('startNew + createCheckStatusResponse: 202 with management URLs on this host', async () => {
    const res = await fetch(`${host.baseUrl}/api/orchestrators/helloCities/check-${Date.now()}`, { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(body.id).toMatch(/^check-/);
    expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
    expect(body.statusQueryGetUri.startsWith(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${body.id}`)).toBe(
      true,
    );
    for (const k of ['sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'rewindPostUri']) {
      expect(body[k]).toContain(body.id);
    }
    // The status URL works as handed out (it carries the system key).
    const status = await fetch(body.statusQueryGetUri);
    expect([200, 202]).toContain(status.status);
  });

  it('startNew with an id that is still running is refused', async () => {
    const id = `dup-${Date.now()}`;
    await api.start('waitForApproval', undefined, id);
    const again = await fetch(`${host.baseUrl}/api/orchestrators/waitForApproval/${id}`, { method: 'POST' });
    expect(again.status).toBe(500); // the app's handler rethrows the client's error
    await api.client('terminate', { instanceId: id, reason: 'cleanup' });
  });

  it('waitForCompletionOrCreateCheckStatusResponse: 200 with output when done in time, 202 otherwise', async () => {
    const done = await fetch(`${host.baseUrl}/api/orchestrators/sequence?wait=10000`, {
      method: 'POST',
      body: JSON.stringify({ n: 3 }),
    });
    expect(done.status).toBe(200);
    expect(await done.json()).toBe(6);

    const pending = await fetch(`${host.baseUrl}/api/orchestrators/waitForApproval?wait=300`, { method: 'POST' });
    expect(pending.status).toBe(202);
    const { id } = (await pending.json()) as { id: string };
    await api.client('terminate', { instanceId: id, reason: 'done testing' });
  });

  it('getStatus with showHistory, showHistoryOutput and showInput', async () => {
    const id = await api.start('sequence', { n: 2 });
    await api.waitFor(id);
    const { code, body } = await api.client('getStatus', {
      instanceId: id,
      options: { showHistory: true, showHistoryOutput: true, showInput: true },
    });
    expect(code).toBe(200);
    const s = body as OrchestrationStatus;
    expect(s).toMatchObject({
      name: 'sequence',
      instanceId: id,
      runtimeStatus: 'Completed',
      input: { n: 2 },
      output: 2,
    });
    // durable-js #620: the client drops historyEvents; the management API has them (asserted elsewhere).
    const plain = (await api.client('getStatus', { instanceId: id, options: {} })).body as OrchestrationStatus;
    expect(plain.output).toBe(2);
    const missing = await api.client('getStatus', { instanceId: 'no-such-instance', options: {} });
    expect(missing.code).toBe(500);
  });

  it('raiseEvent and terminate; raising to a finished instance is tolerated (410)', async () => {
    const a = await api.start('eventCounter', { n: 3 });
    await api.waitFor(a, (s) => s.runtimeStatus === 'Running');
    for (const n of [1, 2, 3]) await api.client('raiseEvent', { instanceId: a, eventName: 'Add', eventData: n });
    expect((await api.waitFor(a)).output).toBe(6);
    expect((await api.client('raiseEvent', { instanceId: a, eventName: 'Add', eventData: 1 })).code).toBe(200);
    expect((await api.client('raiseEvent', { instanceId: 'nobody', eventName: 'Add', eventData: 1 })).code).toBe(500);

    const b = await api.start('waitForApproval');
    await api.waitFor(b, (s) => s.runtimeStatus === 'Running');
    expect((await api.client('terminate', { instanceId: b, reason: 'no longer needed' })).code).toBe(200);
    const terminated = await api.waitFor(b);
    expect(terminated.runtimeStatus).toBe('Terminated');
    expect(terminated.output).toBe('no longer needed');
  });

  it('getStatusAll pages through continuation tokens; getStatusBy filters', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) ids.push(await api.start('sequence', { n: 1 }));
    for (const id of ids) await api.waitFor(id);
    const all = (await api.client('getStatusAll', {})).body as OrchestrationStatus[];
    const allIds = new Set(all.map((s) => s.instanceId));
    for (const id of ids) expect(allIds.has(id)).toBe(true);
    expect(all.length).toBeGreaterThan(100); // more than one page

    const running = await api.start('waitForApproval');
    await api.waitFor(running, (s) => s.runtimeStatus === 'Running');
    const onlyRunning = (await api.client('getStatusBy', { runtimeStatus: ['Running'] })).body as OrchestrationStatus[];
    expect(onlyRunning.map((s) => s.instanceId)).toContain(running);
    expect(onlyRunning.every((s) => s.runtimeStatus === 'Running')).toBe(true);

    const completedSince = (await api.client('getStatusBy', { runtimeStatus: ['Completed'], createdTimeFrom: since }))
      .body as OrchestrationStatus[];
    expect(completedSince.filter((s) => ids.includes(s.instanceId))).toHaveLength(130);
    const before = (await api.client('getStatusBy', { createdTimeTo: since })).body as OrchestrationStatus[];
    expect(before.some((s) => ids.includes(s.instanceId))).toBe(false);
    await api.client('terminate', { instanceId: running, reason: 'cleanup' });
  });

  it('purgeInstanceHistory deletes a finished instance', async () => {
    const id = await api.start('sequence', { n: 1 });
    await api.waitFor(id);
    expect((await api.client('purge', { instanceId: id })).body).toEqual({ instancesDeleted: 1 });
    expect((await api.status(id)).code).toBe(404);
    expect((await api.client('purge', { instanceId: id })).body).toEqual({ instancesDeleted: 0 });
  });
});

describe('public management API', () => {
  let host: RunningDevhost;
  let api: ReturnType<typeof durableApi>;

  beforeAll(async () => {
    host = await startDevhost({ app });
    api = durableApi(host);
  });
  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('requires the durabletask system key or the master key', async () => {
    const id = await api.start('sequence', { n: 1 });
    await api.waitFor(id);
    const url = `${api.base}/instances/${id}`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(`${url}?code=${host.keys.functionKeys.default}`)).status).toBe(401);
    expect((await fetch(`${url}?code=${host.keys.systemKeys.eventgrid_extension}`)).status).toBe(401);
    expect((await fetch(`${url}?code=${host.keys.masterKey}`)).status).toBe(200);
    expect((await fetch(url, { headers: { 'x-functions-key': api.key } })).status).toBe(200);
  });

  it('answers 202 with Location while running, 200 when done, 404 when unknown', async () => {
    const id = await api.start('waitForApproval');
    await api.waitFor(id, (s) => s.runtimeStatus === 'Running');
    const running = await fetch(`${api.base}/instances/${id}?code=${api.key}`);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toContain(`/instances/${id}`);
    await fetch(`${api.base}/instances/${id}/raiseEvent/Approve?code=${api.key}`, {
      method: 'POST',
      body: '"ok"',
      headers: { 'content-type': 'application/json' },
    });
    await api.waitFor(id);
    expect((await fetch(`${api.base}/instances/${id}?code=${api.key}`)).status).toBe(200);
    expect((await fetch(`${api.base}/instances/nope?code=${api.key}`)).status).toBe(404);
    const gone = await fetch(`${api.base}/instances/${id}/raiseEvent/Approve?code=${api.key}`, {
      method: 'POST',
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect(gone.status).toBe(410);
  });

  it('lists instances with filters, top and continuation tokens', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await api.start('sequence', { n: 1 }));
    for (const id of ids) await api.waitFor(id);
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const res: Response = await fetch(`${api.base}/instances?code=${api.key}&top=2&runtimeStatus=Completed`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as OrchestrationStatus[];
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((s) => s.instanceId));
      token = res.headers.get('x-ms-continuation-token');
    } while (token);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await fetch(`${api.base}/instances?code=${api.key}&runtimeStatus=Sleeping`);
    expect(bad.status).toBe(400);
  });

  it('ignores an unparsable createdTimeFrom/createdTimeTo in a list query, as the extension does', async () => {
    const id = await api.start('sequence', { n: 1 });
    await api.waitFor(id);
    for (const query of ['createdTimeFrom=last-week', 'createdTimeTo=whenever']) {
      const res = await fetch(`${api.base}/instances/?code=${api.key}&${query}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as OrchestrationStatus[]).map((s) => s.instanceId)).toContain(id);
    }
  });

  it('refuses to purge a running instance (412) and keeps it; purges it once finished', async () => {
    const id = await api.start('waitForApproval');
    await api.waitFor(id, (s) => s.runtimeStatus === 'Running');
    const refused = await fetch(`${api.base}/instances/${id}?code=${api.key}`, { method: 'DELETE' });
    expect(refused.status).toBe(412);
    expect((await api.status(id)).body.runtimeStatus).toBe('Running');
    // The real DurableClient has no case for 412: purgeInstanceHistory rejects, as it would on Azure.
    expect((await api.client('purge', { instanceId: id })).code).toBe(500);

    await api.client('terminate', { instanceId: id, reason: 'cleanup' });
    await api.waitFor(id);
    const purged = await fetch(`${api.base}/instances/${id}?code=${api.key}`, { method: 'DELETE' });
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
  });

  it('purge by filter requires createdTimeFrom (400 without it, nothing purged)', async () => {
    const id = await api.start('sequence', { n: 1 });
    await api.waitFor(id);
    const unfiltered = await fetch(`${api.base}/instances/?code=${api.key}`, { method: 'DELETE' });
    expect(unfiltered.status).toBe(400);
    expect((await api.status(id)).code).toBe(200);

    const since = new Date(Date.now() - 60_000).toISOString();
    const filtered = await fetch(`${api.base}/instances/?code=${api.key}&createdTimeFrom=${since}`, {
      method: 'DELETE',
    });
    expect(filtered.status).toBe(200);
    expect((await api.status(id)).code).toBe(404);
  });

  it('raiseEvent: 404 for an unknown instance and 410 for a finished one, before the body is looked at', async () => {
    const id = await api.start('sequence', { n: 1 });
    await api.waitFor(id);
    const raise = (instanceId: string, init: RequestInit) =>
      fetch(`${api.base}/instances/${instanceId}/raiseEvent/Approve?code=${api.key}`, { method: 'POST', ...init });
    expect((await raise('nobody-at-all', { body: 'not json', headers: { 'content-type': 'text/plain' } })).status).toBe(
      404,
    );
    expect((await raise(id, { body: 'not json', headers: { 'content-type': 'text/plain' } })).status).toBe(410);

    const live = await api.start('waitForApproval');
    await api.waitFor(live, (s) => s.runtimeStatus === 'Running');
    expect((await raise(live, { body: '"ok"', headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await raise(live, { body: '"ok"', headers: { 'content-type': 'application/json' } })).status).toBe(202);
    expect((await api.waitFor(live)).runtimeStatus).toBe('Completed');
  });
});
