import type { DurableClient } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { nudgeMlAssist, requestBatch } from '../../functions/http/labelingSignals';

/** A DurableClient stand-in that records calls; `status` is what getStatus answers (undefined: 404). */
function fakeClient(status: string | undefined, options: { raiseFails?: boolean } = {}) {
  const calls: string[] = [];
  const client = {
    getStatus: async (id: string) => {
      calls.push(`getStatus ${id}`);
      if (!status) throw new Error('Request failed with status code 404');
      return { runtimeStatus: status };
    },
    startNew: async (name: string, opts: { instanceId: string; input: unknown }) => {
      calls.push(`startNew ${name} ${opts.instanceId} ${JSON.stringify(opts.input)}`);
      return opts.instanceId;
    },
    raiseEvent: async (id: string, event: string, data: unknown) => {
      calls.push(`raiseEvent ${id} ${event} ${JSON.stringify(data)}`);
      if (options.raiseFails) throw new Error('Request failed with status code 404');
    },
  } as unknown as DurableClient;
  return { client, calls };
}

describe('nudging the ML Assist coordinator', () => {
  it('restarts a coordinator found failed or completed instead of raising into the void (410)', async () => {
    for (const ended of ['Failed', 'Completed', 'Terminated']) {
      const { client, calls } = fakeClient(ended);
      await nudgeMlAssist(client, `p-${ended}`);
      expect(calls).toEqual([
        `getStatus mlassist-p-${ended}`,
        `startNew mlAssist mlassist-p-${ended} {"projectId":"p-${ended}"}`,
      ]);
    }
  });

  it('starts a coordinator that never ran, and raises to a running one', async () => {
    const fresh = fakeClient(undefined);
    await nudgeMlAssist(fresh.client, 'new');
    expect(fresh.calls).toEqual(['getStatus mlassist-new', 'startNew mlAssist mlassist-new {"projectId":"new"}']);
    const running = fakeClient('Running');
    await nudgeMlAssist(running.client, 'busy');
    expect(running.calls).toEqual(['getStatus mlassist-busy', 'raiseEvent mlassist-busy labeled null']);
  });
});

describe('asking the labeler session for a batch', () => {
  it('the fast path raises once; a session that does not exist is started with the request', async () => {
    const alive = fakeClient('Running');
    await requestBatch(alive.client, 'p', 'ann', 'r1');
    expect(alive.calls).toEqual([
      expect.stringMatching(/^raiseEvent labeler-p-\S+ requestBatch \{"requestId":"r1"\}$/),
    ]);

    const missing = fakeClient(undefined, { raiseFails: true });
    await requestBatch(missing.client, 'p', 'ann', 'r1');
    expect(missing.calls[1]).toMatch(
      /^startNew labelerSession labeler-p-\S+ \{"projectId":"p","labelerId":"ann","requestId":"r1"\}$/,
    );
  });

  it('the thorough path restarts a session that ended', async () => {
    const ended = fakeClient('Failed');
    await requestBatch(ended.client, 'p', 'ann', 'r2', true);
    expect(ended.calls.map((c) => c.split(' ')[0])).toEqual(['getStatus', 'startNew']);
  });
});
