import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/rawHttp';
import {
  addMember,
  admin,
  boxInside,
  counters,
  labelers,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  type BatchBody,
  type LabelingHost,
  type ProblemBody,
  type TaskItem,
} from './harness';

// What a careless or hostile client sends to the labeling endpoints: extra fields inside boxes, bodies framed
// without Content-Length, ids with control characters. Each is refused with problem+json naming the field, and the
// task, batch and member list stay as they were.

const [lab] = labelers(1, 'hostile');
const projectId = 'hostile';
let env: LabelingHost;
const api = labelingApi(() => env.host);
let tasks: TaskItem[];

beforeAll(async () => {
  env = await startLabelingHost([lab!]);
  await seedProject(api, env.storage, { id: projectId, images: 6, batchPolicy: { size: 6 }, members: [lab!] });
  tasks = (await requestBatch(api, projectId, lab!.token, 'hostile-first')).tasks;
}, 180_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

const fields = (body: ProblemBody) => (body.errors ?? []).map((e) => e.field);

async function stateOf(taskId: string): Promise<string | undefined> {
  const res = await api.call<BatchBody>('GET', `projects/${projectId}/batches/current`, { token: lab!.token });
  return res.body.tasks.find((t) => t.taskId === taskId)?.state;
}

/** `POST …/skip` with the body streamed (chunked transfer encoding, no Content-Length). */
function skipChunked(taskId: string, body: string) {
  return rawRequest(env.host.baseUrl, {
    method: 'POST',
    target: `/api/projects/${projectId}/tasks/${taskId}/skip`,
    headers: { authorization: `Bearer ${lab!.token}`, 'content-type': 'application/json' },
    chunkedBody: body,
  });
}

describe('annotation boxes', () => {
  it('a box with a field the API does not know → 422 naming it, the task stays unlabeled', async () => {
    const task = tasks[0]!;
    const res = await api.call<ProblemBody>('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
      token: lab!.token,
      body: { boxes: [boxInside(task), { ...boxInside(task), score: 0.9, rotation: 45 }] },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(fields(res.body).sort()).toEqual(['boxes.1.rotation', 'boxes.1.score']);
    expect(await stateOf(task.taskId)).toBe('assigned');
  });
});

describe('skip with a chunked body', () => {
  it('validates the reason it carries (422, nothing written) and records a valid one', async () => {
    const task = tasks[1]!;
    const bored = await skipChunked(task.taskId, '{"reason":"bored"}');
    expect(bored.status).toBe(422);
    expect(fields(bored.body as unknown as ProblemBody)).toEqual(['reason']);
    expect(await stateOf(task.taskId)).toBe('assigned');

    const broken = await skipChunked(task.taskId, '{"reason":');
    expect(broken.status).toBe(400);
    expect(await stateOf(task.taskId)).toBe('assigned');

    const ok = await skipChunked(task.taskId, '{"reason":"badImage"}');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ state: 'skipped', unchanged: false });
    const listed = await api.call<{ items: Array<{ id: string; skip?: { reason?: string } }> }>(
      'GET',
      `projects/${projectId}/tasks?state=skipped`,
      { token: admin.token },
    );
    expect(listed.body.items.find((t) => t.id === task.taskId)?.skip?.reason).toBe('badImage');
  });

  it('an empty chunked body still skips without a reason', async () => {
    const task = tasks[2]!;
    const res = await skipChunked(task.taskId, '');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'skipped' });
    expect(await stateOf(task.taskId)).toBe('skipped');
  });
});

describe('ids with control characters', () => {
  // C0 controls, DEL and C1 controls (U+0085 "next line" among them), as a caller would percent-encode them.
  const controls = ['%00', '%01', '%1F', '%7F', '%C2%80', '%C2%85', '%C2%9F'];

  it('task ids in routes → 400 naming taskId, the task untouched', async () => {
    const task = tasks[3]!;
    for (const c of controls) {
      const id = `${task.taskId}${c}`;
      const put = await api.call<ProblemBody>('PUT', `projects/${projectId}/tasks/${id}/annotation`, {
        token: lab!.token,
        body: { boxes: [boxInside(task)] },
      });
      expect(put.status, c).toBe(400);
      expect(fields(put.body), c).toEqual(['taskId']);
      const skip = await api.call<ProblemBody>('POST', `projects/${projectId}/tasks/${id}/skip`, {
        token: lab!.token,
      });
      expect(skip.status, c).toBe(400);
      expect(fields(skip.body), c).toEqual(['taskId']);
    }
    expect(await stateOf(task.taskId)).toBe('assigned');
  });

  it('member user ids → 400 naming userId, no member added or removed', async () => {
    const before = await api.call<{ items: unknown[] }>('GET', `projects/${projectId}/members`, {
      token: admin.token,
    });
    for (const c of controls) {
      const put = await api.call<ProblemBody>('PUT', `projects/${projectId}/members/eve${c}`, {
        token: admin.token,
        body: { role: 'labeler' },
      });
      expect(put.status, c).toBe(400);
      expect(fields(put.body), c).toEqual(['userId']);
      const del = await api.call<ProblemBody>('DELETE', `projects/${projectId}/members/${lab!.id}${c}`, {
        token: admin.token,
      });
      expect(del.status, c).toBe(400);
      expect(fields(del.body), c).toEqual(['userId']);
    }
    const after = await api.call<{ items: unknown[] }>('GET', `projects/${projectId}/members`, {
      token: admin.token,
    });
    expect(after.body.items).toEqual(before.body.items);
    // An ordinary id still works.
    await addMember(api, projectId, 'eve');
  });

  it('the labeler filter of the task list → 400 naming labeler', async () => {
    for (const c of controls) {
      const res = await api.call<ProblemBody>('GET', `projects/${projectId}/tasks?labeler=${lab!.id}${c}`, {
        token: admin.token,
      });
      expect(res.status, c).toBe(400);
      expect(fields(res.body), c).toEqual(['labeler']);
    }
  });

  it('an Idempotency-Key with a C1 control → 400 naming it, no batch handed out', async () => {
    const before = await counters(api, projectId);
    const res = await api.call<ProblemBody>('POST', `projects/${projectId}/batches`, {
      token: admin.token,
      headers: { 'idempotency-key': 'retry\u0085me' },
    });
    expect(res.status).toBe(400);
    expect(fields(res.body)).toEqual(['Idempotency-Key']);
    expect((await counters(api, projectId)).byState).toEqual(before.byState);
  });
});
