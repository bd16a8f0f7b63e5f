import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelerSessionId } from '../../shared/domain/labelingIds';
import { durableApi } from '../helpers/durable';
import {
  counters,
  labelers,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  waitFor,
  type LabelingHost,
} from './harness';

// The batch endpoint raises a labeler's request again when the session is slow to pick it up: routine on a busy
// host. On devhost (which numbers actions as the Durable extension does) the session must keep holding its batch
// through such re-raises, then still expire it when the lease runs out, and serve the next request.

const [dee] = labelers(1, 'reraise');
let env: LabelingHost;
const api = labelingApi(() => env.host);
const projectId = 'reraise';

beforeAll(async () => {
  env = await startLabelingHost([dee!]);
  // A 3 s lease; three images, all in one batch.
  await seedProject(api, env.storage, {
    id: projectId,
    images: 3,
    batchPolicy: { size: 3, leaseMinutes: 0.05 },
    members: [dee!],
  });
}, 120_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

describe('a labeler session whose request is raised again', () => {
  it('keeps holding the batch, expires it when the lease ends, and serves the next request', async () => {
    const held = await requestBatch(api, projectId, dee!.token, 'first-request');
    expect(held.tasks).toHaveLength(3);

    const durable = durableApi(env.host);
    const session = labelerSessionId(projectId, dee!.id);
    for (let i = 0; i < 3; i++) {
      const raised = await fetch(
        `${durable.base}/instances/${encodeURIComponent(session)}/raiseEvent/requestBatch?code=${durable.key}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ requestId: 'first-request' }),
        },
      );
      expect(raised.status).toBe(202);
    }

    // The lease runs out: the session's own timer hands the images back (the reconcile sweep runs every 5 minutes,
    // far beyond this wait, so it is the session doing it).
    await waitFor('the images back in the pool', 60_000, async () =>
      (await counters(api, projectId)).byState.assigned === 0 ? true : undefined,
    );
    const status = await durable.status(session);
    expect(status.body.runtimeStatus).not.toBe('Failed');

    const next = await requestBatch(api, projectId, dee!.token, 'second-request');
    expect(next.tasks).toHaveLength(3);
    expect(next.batchId).not.toBe(held.batchId);

    // The status URL a 202 would name answers for that request, and only for requests the session saw.
    const known = await api.call<{ batchId: string }>('GET', `projects/${projectId}/batches/requests/second-request`, {
      token: dee!.token,
    });
    expect(known.status).toBe(200);
    expect(known.body.batchId).toBe(next.batchId);
    const unknown = await api.call('GET', `projects/${projectId}/batches/requests/never-asked`, { token: dee!.token });
    expect(unknown.status).toBe(404);
    const malformed = await api.call<{ errors?: Array<{ field: string }> }>(
      'GET',
      `projects/${projectId}/batches/requests/${encodeURIComponent('bad id\u0001')}`,
      { token: dee!.token },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.map((e) => e.field)).toEqual(['requestId']);
  }, 120_000);
});
