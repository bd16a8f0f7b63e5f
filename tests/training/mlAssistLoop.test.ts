import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { LocalTrainingBackend, type JobRunner } from '../../adapters/training/local/localBackend';
import { runJob } from '../../adapters/training/local/runJob';
import { tfjsEngine } from '../../adapters/training/local/tfjsEngine';
import { planImage, renderImage, shapeClasses } from '../../scripts/demo/syntheticImages';
import { mlAssistSchema, type Project } from '../../shared/domain/project';
import { nextTrainingThreshold } from '../../shared/domain/training';
import type { Task } from '../../shared/domain/task';
import { PredictionsService } from '../../shared/services/predictions';
import { TrainingService } from '../../shared/services/training';
import { TrainingRunService } from '../../shared/services/trainingRuns';
import { aProject, blobCreated, facts } from '../store/storeFixtures';
import { MemoryTrainingFiles } from './memoryTrainingFiles';

// The ML Assist loop below the triggers, on the real pieces: the SQLite store, the local backend's job records, the
// built-in detector (deliberately tiny: 64 px, a few epochs), the run state machine, the gate and the prelabel
// writes. What the poll timer and the fan-out orchestration do, step by step. Accuracy is the benchmark's business:
// here the gate is set permissive (to see prelabels) or impossible (to see "N more labels").

const images = 90;
const labeledCount = 60;
let dir: string;
let store: SqliteStore;
const rendered = new Map<string, Buffer>();
const truth = new Map<string, Task['annotation']>();

/** Runs jobs in this process (the app uses a low-priority child process: runnerMain.ts). */
function inProcessRunner(files: MemoryTrainingFiles): JobRunner & { idle(): Promise<void> } {
  const running = new Map<string, Promise<unknown>>();
  return {
    ensure(jobId) {
      if (running.has(jobId)) return;
      const readImage = async (_at: unknown, blobPath: string) => rendered.get(blobPath)!;
      running.set(
        jobId,
        runJob(jobId, { files, readImage, engine: tfjsEngine() }).finally(() => running.delete(jobId)),
      );
    },
    has: (jobId) => running.has(jobId),
    async idle() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}

async function seed(projectId: string, gate: { minPrecision: number; minMeanIoU: number }): Promise<Project> {
  const project = aProject(projectId, {
    labels: shapeClasses.map((c) => ({ name: c.name })),
    mlAssist: mlAssistSchema.parse({ initialTrainingThreshold: labeledCount, ...gate }),
  });
  await store.projects.insert(project);
  const plans = Array.from({ length: images }, (_, i) =>
    planImage(i, { seed: 7, minSize: 96, maxSize: 128, maxObjects: 2 }),
  );
  for (const plan of plans) rendered.set(plan.blobPath, await renderImage(plan));
  const results = await store.tasks.mutateMany(
    projectId,
    plans.map((p, i) => blobCreated(projectId, facts(p.blobPath, i + 1, { width: p.width, height: p.height }))),
  );
  // The first `labeledCount` images get their true boxes, as careful labelers would draw them.
  for (const [i, plan] of plans.slice(0, labeledCount).entries()) {
    const taskId = results[i]!.taskId;
    const annotation = {
      boxes: plan.objects.map((o) => ({
        label: o.shape.name,
        x: o.bbox[0],
        y: o.bbox[1],
        width: o.bbox[2],
        height: o.bbox[3],
      })),
      by: 'ann',
      at: new Date().toISOString(),
    };
    truth.set(taskId, annotation);
    await store.tasks.mutate(projectId, taskId, (t) => ({
      kind: 'write',
      task: { ...t!, state: 'labeled', annotation, updatedAt: annotation.at },
    }));
  }
  return project;
}

/** What the poll timer does until the run has a decision, then what the fan-out does. */
async function driveRun(project: Project, files: MemoryTrainingFiles, runner: ReturnType<typeof inProcessRunner>) {
  const backend = new LocalTrainingBackend(files, runner, { epochs: 20, inputSize: 64, workers: 1 });
  const runs = new TrainingRunService({ store, backend, files });
  const requested = await new TrainingService({ store }).requestNow(project, 'ada');
  if (!requested.ok) throw new Error(requested.message);
  const runId = requested.run.id;
  const seen: string[] = [];
  for (let poll = 0; poll < 20; poll++) {
    const outcome = (await runs.advance(project.id, runId))!;
    seen.push(outcome.run.state);
    if (outcome.applyPredictions) {
      const predictions = new PredictionsService({ store, backend });
      const parts = await predictions.parts(outcome.run);
      let prelabeled = 0;
      let scored = 0;
      for (const [i, part] of parts.entries()) {
        const applied = await predictions.applyPart(project.id, runId, part);
        // A retried activity (the same part again) writes nothing twice and counts the same.
        expect(await predictions.applyPart(project.id, runId, part)).toEqual(applied);
        prelabeled += applied.prelabeled;
        scored += applied.scored;
        await runs.recordPredictionsApplied(project.id, runId, { partsApplied: i + 1, prelabeled, scored });
      }
      break;
    }
    if (['failed', 'canceled', 'completed'].includes(outcome.run.state)) break;
    await runner.idle();
  }
  return { run: (await store.trainingRuns.get(project.id, runId))!.value, seen };
}

async function allTasks(projectId: string): Promise<Task[]> {
  return (await store.tasks.list(projectId, { limit: 1000 })).items;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlassist-loop-'));
  store = new SqliteStore(path.join(dir, 'labels.db'));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the ML Assist loop on the local trainer', () => {
  it('trains, validates, and prelabels the unlabeled images (never a human-labeled one); review comes first', async () => {
    const files = new MemoryTrainingFiles();
    const project = await seed('loop-pass', { minPrecision: 0.01, minMeanIoU: 0.01 });
    const { run, seen } = await driveRun(project, files, inProcessRunner(files));

    expect(seen).toContain('validating');
    expect(run).toMatchObject({ state: 'completed', provider: 'local', gate: { passed: true } });
    expect(run.dataset!.trainCount + run.dataset!.validationCount).toBe(labeledCount);
    expect(run.evaluation!.validationImages).toBe(run.dataset!.validationCount);
    expect(run.evaluation!.calibration.eceAfter).toBeLessThanOrEqual(run.evaluation!.calibration.eceBefore + 1e-9);
    // The dataset is Azure ML JSONL with an MLTable beside it.
    const line = JSON.parse((await files.read(`${run.dataset!.folder}/train/data.jsonl`))!.toString().split('\n')[0]!);
    expect(line).toMatchObject({ image_url: expect.stringMatching(/demo-\d+\.(jpg|png)$/), label: expect.any(Array) });
    expect((await files.read(`${run.dataset!.folder}/train/MLTable`))!.toString()).toContain('stream_info');

    const tasks = await allTasks(project.id);
    const labeled = tasks.filter((t) => t.state === 'labeled');
    expect(labeled).toHaveLength(labeledCount);
    for (const t of labeled) expect(t.annotation).toEqual(truth.get(t.id)); // human labels untouched
    const prelabeled = tasks.filter((t) => t.state === 'prelabeled');
    expect(prelabeled.length).toBe(run.predictions!.prelabeled);
    expect(prelabeled.length).toBeGreaterThan(0);
    for (const t of prelabeled) {
      expect(t.prelabel).toMatchObject({ modelRunId: run.id, threshold: run.gate!.threshold });
      for (const b of t.prelabel!.boxes!) {
        expect(b.score!).toBeGreaterThanOrEqual(run.gate!.threshold!);
        expect(b.x).toBeGreaterThanOrEqual(0);
        expect(b.x + b.width).toBeLessThanOrEqual(t.width! + 1e-6);
      }
    }
    expect(run.predictions!.scored).toBe(images - labeledCount);
    // The run keeps both jobs' figures: training loss and time, prediction speed.
    expect(run.providerMetrics).toMatchObject({ loss: expect.any(Number), trainSeconds: expect.any(Number) });
    expect(run.providerMetrics!.msPerImage).toBeGreaterThan(0);

    // A labeler's next batch: the prelabeled images first, least confident first.
    const claimed = await store.tasks.claim(project.id, {
      max: prelabeled.length + 1,
      assignment: { batchId: 'b1', labelerId: 'bob', leaseExpiresAt: new Date(Date.now() + 3.6e6).toISOString() },
      now: new Date().toISOString(),
      order: 'leastConfidentFirst',
    });
    const served = claimed.slice(0, prelabeled.length);
    expect(served.every((t) => t.prelabel?.modelRunId === run.id)).toBe(true);
    const confidences = served.map((t) => t.prelabel!.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
  }, 300_000);

  it('a model the gate rejects leaves no prelabels, ranks the queue, and asks for N more labels', async () => {
    const files = new MemoryTrainingFiles();
    const project = await seed('loop-reject', { minPrecision: 1, minMeanIoU: 1 });
    const { run } = await driveRun(project, files, inProcessRunner(files));

    expect(run).toMatchObject({ state: 'rejected', gate: { passed: false } });
    expect(run.gate!.additionalLabelsNeeded).toBeGreaterThan(0);
    expect(run.gate!.reason).toBeTruthy();
    const tasks = await allTasks(project.id);
    expect(tasks.filter((t) => t.prelabel || t.pendingPrelabel)).toEqual([]);
    expect(tasks.filter((t) => t.state === 'new').every((t) => t.modelScore?.modelRunId === run.id)).toBe(true);
    // The next run is due at the count the gate asked for.
    expect(nextTrainingThreshold(project.mlAssist, [run])).toBe(
      Math.max(run.threshold, run.labeledAtRequest) + run.gate!.additionalLabelsNeeded!,
    );
  }, 300_000);
});
