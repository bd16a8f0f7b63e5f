import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { pingProbe, runHealthChecks } from '../../shared/ports/healthProbe';
import type { Store } from '../../shared/ports/store';

describe('the store health probe (pingProbe over Store.ping)', () => {
  it('reports a store that answers, with its kind and latency', async () => {
    const store = new SqliteStore(':memory:');
    const result = await pingProbe('store', () => store).check(new AbortController().signal);
    expect(result).toEqual({ ok: true, kind: 'sqlite', latencyMs: expect.any(Number) });
    await store.close();
  });

  it('reports a store that cannot be built, naming the problem', async () => {
    const probe = pingProbe('store', () => {
      throw new Error('COSMOS_ENDPOINT is not set.');
    });
    expect(await probe.check(new AbortController().signal)).toMatchObject({
      ok: false,
      error: 'COSMOS_ENDPOINT is not set.',
    });
  });

  it('gives up on a store that does not answer when the health check times out', async () => {
    const silent = { kind: 'cosmos', ping: () => new Promise<void>(() => {}) } as unknown as Store;
    const report = await runHealthChecks([pingProbe('store', () => silent)], 50);
    expect(report.status).toBe('unhealthy');
    expect(report.checks.store).toMatchObject({ ok: false });
  });

  it('reports a failing ping with the store kind and the error', async () => {
    const failing = {
      kind: 'cosmos',
      ping: () => Promise.reject(Object.assign(new Error('Forbidden'), { code: 403 })),
    };
    const result = await pingProbe('store', () => failing).check(new AbortController().signal);
    expect(result).toMatchObject({ ok: false, kind: 'cosmos', error: 'Forbidden' });
  });
});
