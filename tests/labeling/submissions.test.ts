import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import {
  admin,
  boxInside,
  counters,
  labelers,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  type BatchBody,
  type Box,
  type LabelingHost,
  type ProblemBody,
  type TaskItem,
} from './harness';

// Submissions as a labeling frontend sends them: bad input is refused with problem+json naming the field and leaves
// the task untouched; re-sending is harmless; skips keep their reason; a reviewed prelabel records its outcome.

const [lab] = labelers(1, 'sub');
const projectId = 'submissions';
let env: LabelingHost;
const api = labelingApi(() => env.host);
let batch: BatchBody;
/** The batch's tasks: the prelabeled one (served first), then three plain ones. */
let pre: TaskItem, a: TaskItem, b: TaskItem, c: TaskItem;
const prelabelBoxes: Box[] = [{ label: 'square', x: 2, y: 3, width: 10, height: 12 }];

beforeAll(async () => {
  env = await startLabelingHost([lab!]);
  await seedProject(api, env.storage, { id: projectId, images: 8, batchPolicy: { size: 4 }, members: [lab!] });
  await writePrelabel();
  batch = await requestBatch(api, projectId, lab!.token, 'sub-first');
  [pre, a, b, c] = batch.tasks as [TaskItem, TaskItem, TaskItem, TaskItem];
}, 180_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

/** A model's suggestion on one waiting task, written straight into devhost's SQLite store (no model runs yet). */
async function writePrelabel(): Promise<void> {
  const store = new SqliteStore(path.join(env.host.dataDir, 'labels.db'));
  try {
    const page = await store.tasks.list(projectId, { state: 'new', limit: 1 });
    const target = page.items[0]!;
    const at = new Date().toISOString();
    const result = await store.tasks.mutate(projectId, target.id, (t) => ({
      kind: 'write',
      task: {
        ...t!,
        state: 'prelabeled',
        prelabel: { boxes: prelabelBoxes, modelRunId: 'run-test', confidence: 0.4, at },
        updatedAt: at,
      },
    }));
    expect(result.outcome).toBe('written');
  } finally {
    await store.close();
  }
}

const annotate = (task: TaskItem, c: { body?: unknown; rawBody?: string; headers?: Record<string, string> }) =>
  api.call<ProblemBody & { state?: string; unchanged?: boolean; annotation?: Record<string, unknown> }>(
    'PUT',
    `projects/${projectId}/tasks/${task.taskId}/annotation`,
    { token: lab!.token, ...c },
  );

const fields = (body: ProblemBody) => (body.errors ?? []).map((e) => e.field);

async function taskInBatch(taskId: string): Promise<TaskItem> {
  const res = await api.call<BatchBody>('GET', `projects/${projectId}/batches/current`, { token: lab!.token });
  expect(res.status).toBe(200);
  return res.body.tasks.find((t) => t.taskId === taskId)!;
}

describe('bad input', () => {
  const box = () => boxInside(a);

  it.each([
    ['unknown label', { boxes: [{ ...boxInside({ width: 40, height: 40 }), label: 'hexagon' }] }, 'boxes.0.label'],
    ['x null (what JSON makes of NaN)', { boxes: [{ ...boxInside({ width: 40, height: 40 }), x: null }] }, 'boxes.0.x'],
    ['x "NaN"', { boxes: [{ ...boxInside({ width: 40, height: 40 }), x: 'NaN' }] }, 'boxes.0.x'],
    ['negative x', { boxes: [{ ...boxInside({ width: 40, height: 40 }), x: -5 }] }, 'boxes.0.x'],
    ['negative y', { boxes: [{ ...boxInside({ width: 40, height: 40 }), y: -5 }] }, 'boxes.0.y'],
    ['negative width', { boxes: [{ ...boxInside({ width: 40, height: 40 }), width: -3 }] }, 'boxes.0.width'],
    ['zero height', { boxes: [{ ...boxInside({ width: 40, height: 40 }), height: 0 }] }, 'boxes.0.height'],
    ['a missing label', { boxes: [{ x: 1, y: 1, width: 2, height: 2 }] }, 'boxes.0.label'],
    ['an unknown field', { boxes: [], comment: 'hi' }, 'comment'],
    ['negative seconds on task', { boxes: [], secondsOnTask: -1 }, 'secondsOnTask'],
    ['no boxes at all', {}, 'boxes'],
  ])('%s → 422 naming %s', async (_name, body, field) => {
    const res = await annotate(a, { body });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(fields(res.body)).toContain(field);
  });

  it('an infinite coordinate (1e999 in the JSON text) → 422 naming boxes.1.x', async () => {
    const ok = JSON.stringify(box());
    const res = await annotate(a, {
      rawBody: `{"boxes":[${ok},{"label":"circle","x":1e999,"y":1,"width":2,"height":2}]}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toContain('boxes.1.x');
  });

  it('boxes leaving the image by more than 1 px → 422 naming the overshooting side', async () => {
    const w = a.width!;
    const h = a.height!;
    const res = await annotate(a, {
      body: {
        boxes: [
          box(),
          { label: 'circle', x: w - 5, y: 0, width: 7, height: 5 },
          { label: 'circle', x: 0, y: h - 5, width: 5, height: 7 },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(['boxes.1.width', 'boxes.2.height']);
    expect(res.body.detail).toMatch(/right edge/);
  });

  it('more than 1,000 boxes → 422 naming boxes', async () => {
    const res = await annotate(a, { body: { boxes: Array.from({ length: 1001 }, box) } });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(['boxes']);
  });

  it('invalid JSON → 400; a literal NaN is not JSON either', async () => {
    for (const rawBody of ['{"boxes": [', `{"boxes":[{"label":"circle","x":NaN,"y":1,"width":2,"height":2}]}`]) {
      const res = await annotate(a, { rawBody, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.title).toBe('Invalid JSON');
    }
  });

  it('a body over 1 MB → 413', async () => {
    const rawBody = JSON.stringify({ boxes: [box()], secondsOnTask: 1, padding: 'x'.repeat(1024 * 1024) });
    const res = await annotate(a, { rawBody, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
  });

  it('another content type → 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await annotate(a, { rawBody: JSON.stringify({ boxes: [box()] }), headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
    }
  });

  it('wrote nothing: the task is still assigned to the labeler, without labels', async () => {
    const now = await taskInBatch(a.taskId);
    expect(now.state).toBe('assigned');
    expect(now.annotation).toBeUndefined();
    expect((await counters(api, projectId)).byState).toMatchObject({ assigned: 4, labeled: 0, skipped: 0 });
  });

  it('an unknown task → 404; a task outside the caller’s batch → 409 with the reason', async () => {
    const missing = await annotate({ ...a, taskId: 'tNoSuchTask' }, { body: { boxes: [] } });
    expect(missing.status).toBe(404);
    const waiting = await api.call<{ items: Array<{ id: string }> }>(
      'GET',
      `projects/${projectId}/tasks?state=new&limit=1`,
      {
        token: admin.token,
      },
    );
    const outside = await annotate({ ...a, taskId: waiting.body.items[0]!.id }, { body: { boxes: [] } });
    expect(outside.status).toBe(409);
    expect(outside.body).toMatchObject({
      code: 'NOT_YOUR_TASK',
      detail: expect.stringMatching(/not in your live batch/),
    });
  });
});

describe('idempotent submissions', () => {
  it('re-sending the same annotation is a no-op, in any box order; different labels → 409', async () => {
    const boxes = [boxInside(a), { ...boxInside(a, 'triangle'), x: 0, y: 0 }];
    const first = await annotate(a, { body: { boxes, secondsOnTask: 7.5 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ state: 'labeled', unchanged: false });
    expect(first.body.annotation).toMatchObject({ boxes, by: lab!.id, secondsOnTask: 7.5 });

    const again = await annotate(a, { body: { boxes: [...boxes].reverse(), secondsOnTask: 9 } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'labeled', unchanged: true });
    // The first submission stands.
    expect(again.body.annotation).toMatchObject({ boxes, secondsOnTask: 7.5 });

    const changed = await annotate(a, { body: { boxes: [boxInside(a, 'square')] } });
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ code: 'ALREADY_LABELED' });
    expect((await counters(api, projectId)).byState).toMatchObject({ labeled: 1, assigned: 3 });
  });

  it('a skip keeps its reason; repeating it is a no-op; an unknown reason → 422', async () => {
    const skip = (task: TaskItem, body?: unknown) =>
      api.call<ProblemBody & { state?: string; unchanged?: boolean; batchFinished?: boolean }>(
        'POST',
        `projects/${projectId}/tasks/${task.taskId}/skip`,
        { token: lab!.token, ...(body === undefined ? {} : { body }) },
      );
    const bored = await skip(b, { reason: 'bored' });
    expect(bored.status).toBe(422);
    expect(fields(bored.body)).toEqual(['reason']);

    expect((await skip(b, { reason: 'noObjects' })).body).toMatchObject({ state: 'skipped', unchanged: false });
    expect((await skip(b, { reason: 'noObjects' })).body).toMatchObject({ state: 'skipped', unchanged: true });
    const listed = await api.call<{ items: Array<{ id: string; skip?: Record<string, unknown> }> }>(
      'GET',
      `projects/${projectId}/tasks?state=skipped`,
      { token: admin.token },
    );
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: b.taskId, skip: expect.objectContaining({ by: lab!.id, reason: 'noObjects' }) }),
    ]);
    // Labeling a skipped image is refused rather than silently overwriting the skip.
    expect((await annotate(b, { body: { boxes: [] } })).status).toBe(409);
  });

  it('reviewing a prelabel records whether it was accepted; finishing the batch is reported', async () => {
    expect(pre.prelabel).toMatchObject({ boxes: prelabelBoxes });
    const accepted = await annotate(pre, { body: { boxes: prelabelBoxes } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.annotation).toMatchObject({ prelabelOutcome: 'accepted' });

    // The last task is skipped without a reason (empty body): the batch is done.
    const last = await api.call<{ state: string; batchFinished: boolean }>(
      'POST',
      `projects/${projectId}/tasks/${c.taskId}/skip`,
      { token: lab!.token },
    );
    expect(last.body).toMatchObject({ state: 'skipped', batchFinished: true });
    expect((await counters(api, projectId)).byState).toMatchObject({ labeled: 2, skipped: 2, assigned: 0 });
    expect((await api.call('GET', `projects/${projectId}/batches/current`, { token: lab!.token })).status).toBe(404);
  });
});
