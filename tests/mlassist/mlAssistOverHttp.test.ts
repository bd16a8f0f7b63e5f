import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../shared/domain/dashboard';
import type { Box as DomainBox } from '../../shared/domain/task';
import {
  admin,
  counters,
  labelers,
  labelingApi,
  requestBatch,
  startLabelingHost,
  waitFor,
  type LabelingHost,
} from '../labeling/harness';
import { labelWhile, prelabelQuality, seedMlProject, trainingRuns, type TrainingRunBody } from './harness';

// The ML Assist loop as users meet it, over HTTP on one devhost with the built-in CPU trainer in its low-priority
// runner process: labelers label → a training run starts by itself at the threshold → the poll timer carries it
// through training, prediction and the validation gate → prelabels appear on the images nobody labeled → labelers
// get those first and accept them. And the other way: a model the gate rejects leaves no prelabels and the project
// asks for N more labels, at which point the next run starts. The model is deliberately tiny (64 px); the accuracy
// the trainer reaches at its real size is measured by `npm run bench:mlassist`.

const [ann, bob] = labelers(2, 'ml');
let env: LabelingHost;
const api = labelingApi(() => env.host);

beforeAll(async () => {
  env = await startLabelingHost([ann!, bob!], {
    TRAINING_POLL_SCHEDULE: '*/2 * * * * *',
    LOCAL_TRAINER_EPOCHS: '20',
    LOCAL_TRAINER_INPUT_SIZE: '64',
    LOCAL_TRAINER_WORKERS: '1',
  });
}, 120_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

async function runOf(projectId: string, done: (r: TrainingRunBody) => boolean): Promise<TrainingRunBody> {
  return waitFor(
    `a training run of ${projectId} to finish`,
    300_000,
    async () => {
      const runs = await trainingRuns(api, projectId);
      const run = runs.find(done);
      if (!run && runs.some((r) => r.state === 'failed')) throw new Error(`run failed: ${JSON.stringify(runs)}`);
      return run;
    },
    500,
  );
}

describe('a good enough model', () => {
  const projectId = 'ml-good';
  let truth: Map<string, Array<{ label: string; x: number; y: number; width: number; height: number }>>;

  beforeAll(async () => {
    truth = await seedMlProject(api, env.storage, {
      id: projectId,
      images: 90,
      threshold: 60,
      // A milder gate than the real one (precision 0.9) for the tiny test model; the gate's own rules are unit-tested.
      gate: { minPrecision: 0.6, minMeanIoU: 0.5 },
      members: [ann!, bob!],
    });
  }, 180_000);

  it('trains by itself at the threshold, prelabels the rest, serves those first, and records an accepted prelabel', async () => {
    const labeledSoFar = async () => (await counters(api, projectId)).byState.labeled ?? 0;
    await labelWhile(
      api,
      projectId,
      ann!,
      (id) => truth.get(id)!,
      async () => (await labeledSoFar()) >= 60,
    );

    const run = await runOf(projectId, (r) => r.state === 'completed');
    expect(run).toMatchObject({ trigger: 'threshold', threshold: 60, gate: { passed: true } });
    expect(run.predictions!.prelabeled).toBeGreaterThan(0);
    const c = await counters(api, projectId);
    expect(c.byState.prelabeled).toBe(run.predictions!.prelabeled);

    // The labeler's next batch holds the prelabeled images first.
    const batch = await requestBatch(api, projectId, bob!.token, 'bob-review-1');
    const withPrelabel = batch.tasks.filter((t) => t.prelabel);
    expect(withPrelabel.length).toBe(Math.min(batch.tasks.length, run.predictions!.prelabeled));
    expect(batch.tasks.slice(0, withPrelabel.length).every((t) => t.prelabel)).toBe(true);

    // Accepting the model's boxes unchanged is recorded as such.
    const first = withPrelabel[0]!;
    const boxes = ((first.prelabel!.boxes ?? []) as DomainBox[]).map(({ score: _score, ...box }) => box);
    const accepted = await api.call('PUT', `projects/${projectId}/tasks/${first.taskId}/annotation`, {
      token: bob!.token,
      body: { boxes, secondsOnTask: 1 },
    });
    expect(accepted.status).toBe(200);
    const listed = await api.call<{
      items: Array<{ id: string; annotation?: { prelabelOutcome?: string; prelabelRunId?: string } }>;
    }>('GET', `projects/${projectId}/tasks?state=labeled&limit=200`, {
      token: admin.token,
    });
    expect(listed.body.items.find((t) => t.id === first.taskId)?.annotation).toMatchObject({
      prelabelOutcome: 'accepted',
      prelabelRunId: run.id,
    });
    // …and counted for the run: what its prelabels were worth in the field, on the run and on the dashboard.
    const shown = await api.call<{ fieldOutcomes: Record<string, number> }>(
      'GET',
      `projects/${projectId}/training-runs/${run.id}`,
      { token: admin.token },
    );
    expect(shown.body.fieldOutcomes).toEqual({ accepted: 1, edited: 0, cleared: 0 });
    const dashboard = await api.call<Dashboard>('GET', `projects/${projectId}/dashboard`, { token: admin.token });
    expect(dashboard.body.totals.labeledFromPrelabels).toBe(1);
    expect(dashboard.body.mlAssist.runs.find((r) => r.runId === run.id)).toMatchObject({
      state: 'completed',
      gate: { passed: true, threshold: run.gate!.threshold },
      fieldOutcomes: { accepted: 1, edited: 0, cleared: 0 },
    });
    expect(dashboard.body.labelers.find((l) => l.labelerId === bob!.id)?.prelabels).toEqual({
      accepted: 1,
      edited: 0,
      cleared: 0,
    });

    const quality = prelabelQuality(
      new Map(withPrelabel.map((t) => [t.taskId, (t.prelabel!.boxes ?? []) as DomainBox[]])),
      truth,
    );
    console.log(
      `ML Assist (64 px test model): mAP@0.5 ${run.evaluation!.mAP50.toFixed(2)} on ${run.evaluation!.validationImages} ` +
        `validation images; threshold ${run.gate!.threshold!.toFixed(3)}; prelabel precision ${quality.precision.toFixed(2)}, ` +
        `recall ${quality.recall.toFixed(2)} on the ${withPrelabel.length} prelabeled images served`,
    );
  }, 420_000);
});

describe('a model that is not good enough yet', () => {
  const projectId = 'ml-noisy';
  let noisy = 0;
  // A careless labeler: a box in a random corner with a random label.
  const carelessBox = () => {
    noisy++;
    return [
      {
        label: ['circle', 'square', 'triangle'][noisy % 3]!,
        x: (noisy * 7) % 40,
        y: (noisy * 13) % 40,
        width: 20,
        height: 20,
      },
    ];
  };

  beforeAll(async () => {
    await seedMlProject(api, env.storage, { id: projectId, images: 150, threshold: 40, members: [ann!] });
  }, 180_000);

  it('leaves no prelabels, asks for N more manual labels, and starts the next run once they are in', async () => {
    const labeled = async () => (await counters(api, projectId)).byState.labeled ?? 0;
    await labelWhile(api, projectId, ann!, carelessBox, async () => (await labeled()) >= 40);

    const rejected = await runOf(projectId, (r) => r.state === 'rejected');
    expect(rejected.gate!.passed).toBe(false);
    const needed = rejected.gate!.additionalLabelsNeeded!;
    expect(needed).toBeGreaterThan(0);
    expect((await counters(api, projectId)).byState.prelabeled ?? 0).toBe(0);

    const nextAt = Math.max(rejected.threshold, rejected.labeledAtRequest) + needed;
    await labelWhile(api, projectId, ann!, carelessBox, async () => (await labeled()) >= nextAt);
    const next = await waitFor('the next training run', 120_000, async () =>
      (await trainingRuns(api, projectId)).find((r) => r.id !== rejected.id),
    );
    expect(next).toMatchObject({ trigger: 'threshold', threshold: nextAt });

    // Cancel it: the admin's "stop" ends the run (the runner stops its job).
    const cancel = await api.call('POST', `projects/${projectId}/training-runs/${next.id}/cancel`, {
      token: admin.token,
    });
    expect(cancel.status).toBe(202);
    await runOf(projectId, (r) => r.id === next.id && r.state === 'canceled');
  }, 600_000);
});
