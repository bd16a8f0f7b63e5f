import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../shared/domain/dashboard';
import {
  admin,
  boxInside,
  labelers,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  type Box,
  type LabelingHost,
  type TaskItem,
} from '../labeling/harness';

// The project owner's dashboard over real HTTP: two labelers label and skip a few images, and the dashboard shows
// exactly what they did (totals, classes, queue, progress over time, each labeler's figures), from the counters
// maintained with each submission.

const [ann, bob] = labelers(2, 'dash');
const projectId = 'dashboard';
let env: LabelingHost;
const api = labelingApi(() => env.host);

beforeAll(async () => {
  env = await startLabelingHost([ann!, bob!]);
  await seedProject(api, env.storage, { id: projectId, images: 12, batchPolicy: { size: 5 }, members: [ann!, bob!] });
}, 180_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

async function submit(token: string, task: TaskItem, labels: string[], secondsOnTask: number): Promise<void> {
  const boxes: Box[] = labels.map((label) => boxInside(task, label));
  const res = await api.call('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
    token,
    body: { boxes, secondsOnTask },
  });
  expect(res.status).toBe(200);
}

async function skip(token: string, task: TaskItem, reason: string): Promise<void> {
  const res = await api.call('POST', `projects/${projectId}/tasks/${task.taskId}/skip`, { token, body: { reason } });
  expect(res.status).toBe(200);
}

async function dashboard(token: string): Promise<Dashboard> {
  const res = await api.call<Dashboard>('GET', `projects/${projectId}/dashboard`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

describe('dashboard', () => {
  it('shows what two labelers did: totals, classes, queue, progress over time and each labeler', async () => {
    const annBatch = await requestBatch(api, projectId, ann!.token, 'dash-ann-1');
    const bobBatch = await requestBatch(api, projectId, bob!.token, 'dash-bob-1');
    expect(annBatch.tasks).toHaveLength(5);
    expect(bobBatch.tasks).toHaveLength(5);
    const [a1, a2, a3, a4] = annBatch.tasks as [TaskItem, TaskItem, TaskItem, TaskItem];
    const [b1, b2, b3] = bobBatch.tasks as [TaskItem, TaskItem, TaskItem];
    await submit(ann!.token, a1, ['circle', 'square'], 4);
    await submit(ann!.token, a2, ['circle'], 10);
    await submit(ann!.token, a3, ['triangle', 'triangle', 'circle'], 30);
    await skip(ann!.token, a4, 'noObjects');
    await submit(bob!.token, b1, ['square'], 8);
    await submit(bob!.token, b2, ['square'], 8);
    await skip(bob!.token, b3, 'badImage');

    const d = await dashboard(admin.token);
    expect(d.totals).toMatchObject({
      images: 12,
      new: 2,
      assigned: 3,
      labeled: 5,
      labeledManually: 5,
      labeledFromPrelabels: 0,
      skipped: 2,
      skippedByReason: { noObjects: 1, badImage: 1 },
      prelabeled: 0,
      removed: 0,
      rejected: 0,
    });
    expect(d.totals.progress).toBeCloseTo(7 / 12, 3);
    expect(d.classes).toEqual({
      total: 8,
      byLabel: [
        { label: 'circle', count: 3 },
        { label: 'square', count: 3 },
        { label: 'triangle', count: 2 },
      ],
    });
    expect(d.queue).toEqual({ manual: 2, prelabeled: 0, inProgress: 3 });
    expect(d.progressOverTime.hourly.reduce((sum, h) => sum + h.labeled, 0)).toBe(5);
    expect(d.progressOverTime.daily.reduce((sum, h) => sum + h.labeled, 0)).toBe(5);
    expect(d.mlAssist).toMatchObject({ phase: 'collectingLabels', labeled: 5, labelsNeededBeforeNextRun: 245 });

    expect(d.labelers.map((l) => l.labelerId)).toEqual([ann!.id, bob!.id]);
    const [annRow, bobRow] = d.labelers;
    expect(annRow).toMatchObject({
      role: 'labeler',
      labeled: 3,
      skipped: 1,
      boxes: 6,
      boxesPerImage: 2,
      prelabels: { accepted: 0, edited: 0, cleared: 0 },
      throughput: { lastDay: 4 },
    });
    expect(annRow!.secondsPerImage).toMatchObject({ timedSubmissions: 3, mean: 14.7 });
    // The true median is 10 s; the histogram reports within its bucket, (8, 10].
    expect(annRow!.secondsPerImage!.median).toBeGreaterThan(8);
    expect(annRow!.secondsPerImage!.median).toBeLessThanOrEqual(10);
    expect(Date.parse(annRow!.lastActiveHour!)).toBeLessThanOrEqual(Date.now());
    expect(bobRow).toMatchObject({ labeled: 2, skipped: 1, boxes: 2, boxesPerImage: 1, throughput: { lastDay: 3 } });
    expect(bobRow!.secondsPerImage).toMatchObject({ timedSubmissions: 2, mean: 8 });

    // A labeler sees the project's figures and their own row only.
    const mine = await dashboard(bob!.token);
    expect(mine.totals).toEqual(d.totals);
    expect(mine.labelers).toEqual([bobRow]);
  });
});
