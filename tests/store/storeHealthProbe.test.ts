import { describe, expect, it } from 'vitest';
import { SqliteLabelStore } from '../../adapters/sqlite/sqliteLabelStore';
import { StoreHealthProbe } from '../../adapters/store/storeHealthProbe';
import type { LabelStore } from '../../shared/ports/labelStore';
import { runHealthChecks } from '../../shared/ports/healthProbe';

describe('StoreHealthProbe', () => {
  it('reports a store that answers, with its kind and latency', async () => {
    const store = new SqliteLabelStore(':memory:');
    const result = await new StoreHealthProbe(() => store).check(new AbortController().signal);
    expect(result).toEqual({ ok: true, kind: 'sqlite', latencyMs: expect.any(Number) });
    await store.close();
  });

  it('reports a store that cannot be built, naming the problem', async () => {
    const probe = new StoreHealthProbe(() => {
      throw new Error('COSMOS_ENDPOINT is not set.');
    });
    expect(await probe.check(new AbortController().signal)).toEqual({
      ok: false,
      error: 'COSMOS_ENDPOINT is not set.',
    });
  });

  it('gives up on a store that does not answer when the health check times out', async () => {
    const silent = { kind: 'cosmos', ping: () => new Promise<void>(() => {}) } as unknown as LabelStore;
    const report = await runHealthChecks([new StoreHealthProbe(() => silent)], 50);
    expect(report.status).toBe('unhealthy');
    expect(report.checks.store).toMatchObject({ ok: false });
  });

  it('reports a failing ping with the store kind and the error', async () => {
    const failing = {
      kind: 'cosmos',
      ping: () => Promise.reject(Object.assign(new Error('Forbidden'), { code: 403 })),
    };
    const result = await new StoreHealthProbe(() => failing as unknown as LabelStore).check(
      new AbortController().signal,
    );
    expect(result).toMatchObject({ ok: false, kind: 'cosmos', error: 'Forbidden' });
  });
});
