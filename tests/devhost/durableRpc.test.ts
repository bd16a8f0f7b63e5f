import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionInvoker } from '../../devhost/core/invoker';
import type { Logger } from '../../devhost/core/logger';
import { FunctionRegistry } from '../../devhost/core/registry';
import { DurableBackend } from '../../devhost/durable/backend';
import { newInstanceRow } from '../../devhost/durable/records';
import type { RuntimeStatus } from '../../devhost/durable/store';
import { testKeys } from '../helpers/devhost';

/**
 * The DurableClient's RPC endpoint (`rpcBaseUrl`), served in-process so a test can reach its random loopback port.
 * Instances are seeded straight into the store in the state under test; none of them is ever run (no messages), so
 * no orchestrator function is needed.
 */
describe('Durable RPC endpoint (the routes durable-functions calls through rpcBaseUrl)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devhost-rpc-'));
  const silent: Logger = { info() {}, warn() {}, error() {} } as unknown as Logger;
  // Only provideInput is used until an instance runs, and none does here.
  const invoker = { provideInput() {} } as unknown as FunctionInvoker;
  let backend: DurableBackend;

  const rpc = (relative: string, init?: RequestInit) => fetch(new URL(relative, backend.rpcBaseUrl), init);
  const seed = (instanceId: string, runtimeStatus: RuntimeStatus) => {
    backend.store.saveInstance({ ...newInstanceRow(instanceId, 'seeded', null, null, null), runtimeStatus });
  };
  const postText = (body: string) => ({ method: 'POST', body, headers: { 'content-type': 'text/plain' } });

  beforeAll(async () => {
    backend = new DurableBackend({
      registry: new FunctionRegistry(),
      invoker,
      logger: silent,
      keys: testKeys,
      dataDir,
      hubName: 'TestHub',
      maxConcurrentActivities: 1,
      maxConcurrentOrchestrations: 1,
    });
    await backend.start('http://localhost:7071');
    for (const status of ['Completed', 'Failed', 'Terminated', 'Running', 'Pending', 'ContinuedAsNew'] as const) {
      seed(`rpc-${status}`, status);
    }
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('raiseEvent', () => {
    it('answers 410 for a finished instance before looking at the body, as HandleRaiseEventRequestAsync does', async () => {
      for (const status of ['Completed', 'Failed', 'Terminated']) {
        expect((await rpc(`instances/rpc-${status}/raiseEvent/Go`, postText('not json'))).status).toBe(410);
      }
    });

    it('answers 404 for an unknown instance, whatever the body', async () => {
      expect((await rpc('instances/nobody-here/raiseEvent/Go', postText('not json'))).status).toBe(404);
    });

    it('answers 400 to a live instance when the content is not application/json', async () => {
      expect((await rpc('instances/rpc-Running/raiseEvent/Go', postText('"ok"'))).status).toBe(400);
    });
  });

  describe('purge one instance', () => {
    it('answers 412 for an instance that has not finished and keeps it', async () => {
      for (const status of ['Running', 'Pending', 'ContinuedAsNew']) {
        const res = await rpc(`instances/rpc-${status}`, { method: 'DELETE' });
        expect(res.status).toBe(412);
        expect(backend.store.getRuntimeStatus(`rpc-${status}`)).toBe(status);
      }
    });

    it('still purges a finished instance and answers 404 for an unknown one', async () => {
      seed('rpc-purge-me', 'Completed');
      const res = await rpc('instances/rpc-purge-me', { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ instancesDeleted: 1 });
      expect((await rpc('instances/rpc-purge-me', { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('purge by filter', () => {
    it('answers 400 without a parsable createdTimeFrom and purges nothing', async () => {
      for (const query of [
        '',
        '?runtimeStatus=Completed',
        '?createdTimeTo=2999-01-01T00:00:00Z',
        '?createdTimeFrom=soon',
      ]) {
        expect((await rpc(`instances/${query}`, { method: 'DELETE' })).status).toBe(400);
      }
      expect(backend.store.getRuntimeStatus('rpc-Completed')).toBe('Completed');
    });
  });

  describe('list', () => {
    it('ignores an unparsable createdTimeFrom or createdTimeTo', async () => {
      for (const query of ['createdTimeFrom=yesterday', 'createdTimeTo=not-a-date', 'createdTimeFrom=2024-13-45']) {
        const res = await rpc(`instances/?${query}`);
        expect(res.status).toBe(200);
        const ids = ((await res.json()) as Array<{ instanceId: string }>).map((s) => s.instanceId);
        expect(ids).toEqual(expect.arrayContaining(['rpc-Completed', 'rpc-Running']));
      }
    });
  });
});
