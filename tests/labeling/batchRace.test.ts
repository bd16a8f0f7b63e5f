import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  counters,
  labelers,
  labelingApi,
  labelUntilDone,
  seedProject,
  servedIn,
  startLabelingHost,
  type LabelingHost,
} from './harness';

// Fifty labelers race for batches on a 2,000-image project (default policy: 75 per batch, the tail split evenly).
// Each one labels whatever it is given and asks again until nothing is left, so the same race repeats every round.

const crowd = labelers(50, 'racer');
const projectId = 'race-2000';
let env: LabelingHost;
const api = labelingApi(() => env.host);

beforeAll(async () => {
  env = await startLabelingHost(crowd);
  await seedProject(api, env.storage, { id: projectId, images: 2000, members: crowd });
}, 240_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

describe('50 concurrent labelers on 2,000 tasks', () => {
  it('never hands a task to two batches, and serves every task exactly once', async () => {
    const runs = await Promise.all(crowd.map((u) => labelUntilDone(api, projectId, u)));

    const served = servedIn(runs);
    const overlaps = [...served].filter(([, owners]) => owners.size > 1);
    expect(overlaps).toEqual([]);
    expect(served.size).toBe(2000);

    const labeled = runs.flatMap((r) => r.labeled);
    expect(labeled).toHaveLength(2000);
    expect(new Set(labeled).size).toBe(2000);
    expect((await counters(api, projectId)).byState).toMatchObject({ labeled: 2000, new: 0, assigned: 0 });

    // Batches never exceed the policy size, and the tail of the queue was split instead of going to a few.
    const sizes = runs.flatMap((r) => r.batches.map((b) => b.tasks.length)).filter((n) => n > 0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(75);
    expect(Math.min(...sizes)).toBeLessThan(75);
    expect(runs.filter((r) => r.labeled.length > 0).length).toBeGreaterThanOrEqual(40);
  }, 300_000);
});
