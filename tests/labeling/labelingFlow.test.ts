import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  boxInside,
  counters,
  labelers,
  labelingApi,
  labelUntilDone,
  requestBatch,
  seedProject,
  servedIn,
  sleep,
  startLabelingHost,
  waitFor,
  type LabelingHost,
  type ProblemBody,
} from './harness';

// A labelers' day over real HTTP on one devhost (Azurite, backfill, durable sessions, the ML Assist coordinator):
// three labelers share 300 images, and an abandoned batch goes back to the pool when its short lease runs out.

const [ann, bob, cai, dee, eve] = labelers(5);
let env: LabelingHost;
const api = labelingApi(() => env.host);

beforeAll(async () => {
  env = await startLabelingHost([ann!, bob!, cai!, dee!, eve!]);
}, 120_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

interface TrainingRunBody {
  id: string;
  state: string;
  threshold: number;
  labeledAtRequest: number;
  requestedAt: string;
}

async function trainingRuns(projectId: string): Promise<TrainingRunBody[]> {
  const res = await api.call<{ items: TrainingRunBody[] }>('GET', `projects/${projectId}/training-runs`, {
    token: admin.token,
  });
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('three labelers label 300 images', () => {
  const projectId = 'three-labelers';

  beforeAll(async () => {
    await seedProject(api, env.storage, { id: projectId, images: 300, members: [ann!, bob!, cai!] });
  }, 180_000);

  it('serves every image to one labeler only, labels each once, and requests training once at 250', async () => {
    let accepted = 0;
    let crossedAt: number | undefined;
    let runSeenAt: number | undefined;
    let labelingDone = false;
    const onLabeled = () => {
      if (++accepted === 250) crossedAt = Date.now();
    };
    // Watches for the training request while the labelers work, as a dashboard would.
    const watcher = (async () => {
      while (!labelingDone || runSeenAt === undefined) {
        if (runSeenAt === undefined && (await trainingRuns(projectId)).length > 0) runSeenAt = Date.now();
        if (labelingDone && Date.now() - (crossedAt ?? Date.now()) > 90_000) return;
        await sleep(100);
      }
    })();

    const runs = await Promise.all([ann!, bob!, cai!].map((u) => labelUntilDone(api, projectId, u, onLabeled)));
    labelingDone = true;
    await watcher;

    // No task was ever in two labelers' batches.
    const served = servedIn(runs);
    const overlaps = [...served].filter(([, owners]) => owners.size > 1);
    expect(overlaps).toEqual([]);
    expect(served.size).toBe(300);
    // Each labeler did a share of the work, and each image was labeled exactly once.
    for (const run of runs) expect(run.labeled.length).toBeGreaterThan(0);
    const labeled = runs.flatMap((r) => r.labeled);
    expect(labeled).toHaveLength(300);
    expect(new Set(labeled).size).toBe(300);
    expect(accepted).toBe(300);
    // Every labeler's last answer was the empty batch with its reason.
    for (const run of runs)
      expect(run.batches.at(-1)).toMatchObject({ tasks: [], reason: expect.stringMatching(/Nothing is left/) });

    const c = await counters(api, projectId);
    expect(c.byState).toMatchObject({ labeled: 300, new: 0, assigned: 0, skipped: 0 });

    // The crossing at 250 produced exactly one training request (how soon is measured by npm run bench:labeling).
    expect(crossedAt).toBeDefined();
    expect(runSeenAt, 'training request seen').toBeDefined();
    await sleep(1_000); // late nudges from the last submissions settle
    const trainingRequests = await trainingRuns(projectId);
    expect(trainingRequests).toHaveLength(1);
    expect(trainingRequests[0]).toMatchObject({ state: 'requested', threshold: 250, trigger: 'threshold' });
    expect(trainingRequests[0]!.labeledAtRequest).toBeGreaterThanOrEqual(250);
  }, 240_000);
});

describe('an abandoned batch', () => {
  const projectId = 'abandoned';

  beforeAll(async () => {
    // A 3 s lease; four images, all of which fit in one batch for Dee, the one labeler so far (Eve joins later: with
    // two labelers the last four images would be split between them).
    await seedProject(api, env.storage, {
      id: projectId,
      images: 4,
      batchPolicy: { size: 4, leaseMinutes: 0.05 },
      members: [dee!],
    });
  }, 120_000);

  it('returns to the pool after its lease; a late submission counts only where nobody re-claimed the task', async () => {
    const abandoned = await requestBatch(api, projectId, dee!.token, 'dee-abandons');
    expect(abandoned.tasks).toHaveLength(4);
    const leaseEnds = Date.parse(abandoned.leaseExpiresAt);
    expect(leaseEnds - Date.now()).toBeLessThanOrEqual(3_000);
    expect((await counters(api, projectId)).byState).toMatchObject({ assigned: 4, new: 0 });

    // Dee does nothing. Once the lease has run out the session's timer hands her tasks back.
    const returnedAt = await waitFor('the tasks back in the pool', 20_000, async () => {
      const c = await counters(api, projectId);
      return c.byState.assigned === 0 ? Date.now() : undefined;
    });
    expect(returnedAt).toBeGreaterThanOrEqual(leaseEnds);
    expect((await counters(api, projectId)).byState).toMatchObject({ assigned: 0, new: 4 });
    const current = await api.call('GET', `projects/${projectId}/batches/current`, { token: dee!.token });
    expect(current.status).toBe(404);
    // The batch record says why it closed (read straight from the devhost's SQLite file).
    const db = new Database(path.join(env.host.dataDir, 'labels.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare('SELECT doc FROM batches WHERE project_id = ? AND id = ?')
        .get(projectId, abandoned.batchId);
      expect(JSON.parse((row as { doc: string }).doc)).toMatchObject({ state: 'expired', labelerId: dee!.id });
    } finally {
      db.close();
    }

    // Eve joins; smaller batches from now on, so Eve re-claims two of Dee's four images and two stay in the pool.
    const joined = await api.call('PUT', `projects/${projectId}/members/${encodeURIComponent(eve!.id)}`, {
      token: admin.token,
      body: { role: 'labeler' },
    });
    expect(joined.status).toBe(201);
    const patched = await api.call('PATCH', `projects/${projectId}`, {
      token: admin.token,
      body: { batchPolicy: { size: 2 } },
    });
    expect(patched.status).toBe(200);
    const eves = await requestBatch(api, projectId, eve!.token, 'eve-picks-up');
    expect(eves.tasks).toHaveLength(2);
    const deesIds = abandoned.tasks.map((t) => t.taskId);
    const reclaimed = eves.tasks.map((t) => t.taskId);
    for (const id of reclaimed) expect(deesIds).toContain(id);
    const unclaimed = abandoned.tasks.filter((t) => !reclaimed.includes(t.taskId));
    expect(unclaimed).toHaveLength(2);

    const submit = (task: (typeof abandoned.tasks)[number]) =>
      api.call<ProblemBody & { state?: string }>('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
        token: dee!.token,
        body: { boxes: [boxInside(task)], secondsOnTask: 40 },
      });
    // Late, but nobody took it since: accepted.
    const late = await submit(unclaimed[0]!);
    expect(late.status).toBe(200);
    expect(late.body.state).toBe('labeled');
    // Late, and Eve holds it now: refused with the reason, Eve's batch untouched.
    const taken = await submit(abandoned.tasks.find((t) => t.taskId === reclaimed[0])!);
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'NOT_YOUR_TASK', detail: expect.stringMatching(/another labeler/) });
    expect((await counters(api, projectId)).byState).toMatchObject({ labeled: 1, assigned: 2, new: 1 });
    const evesNow = await api.call<{ tasks: Array<{ taskId: string; state: string }> }>(
      'GET',
      `projects/${projectId}/batches/current`,
      { token: eve!.token },
    );
    expect(evesNow.body.tasks.map((t) => t.state)).toEqual(['assigned', 'assigned']);
  }, 60_000);
});
