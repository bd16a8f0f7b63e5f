import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRelease, decideSubmit } from '../../shared/domain/labeling';
import { annotationSchemaFor, maxBoxesPerImage } from '../../shared/domain/annotation';
import { aProject } from '../store/storeFixtures';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { decidePrediction, type ModelPrediction } from '../../shared/domain/prelabeling';
import { nextTrainingThreshold, manualRunIdFor, trainingRunIdFor } from '../../shared/domain/training';
import { taskStates, type Task, type TaskState } from '../../shared/domain/task';
import { imageConfidence } from '../../shared/domain/uncertainty';
import { mlAssistSchema } from '../../shared/domain/project';

const now = '2026-12-01T12:00:00.000Z';
const task = (state: TaskState, extra: Partial<Task> = {}): Task => ({
  id: 't1',
  projectId: 'p',
  container: 'c',
  blobPath: 'a.jpg',
  blobUrl: 'http://x/c/a.jpg',
  contentType: 'image/jpeg',
  sizeBytes: 1,
  width: 640,
  height: 480,
  eTag: 'e',
  sequencer: '',
  state,
  shuffleKey: 0.5,
  createdAt: now,
  updatedAt: now,
  ...extra,
});
const box = { label: 'cat', x: 10, y: 20, width: 100, height: 80, score: 0.93 };
const prediction = (runId: string, boxes = [box], prelabel = true): ModelPrediction => ({
  runId,
  boxes,
  confidence: 0.4,
  threshold: 0.6,
  prelabel,
  at: now,
});
const written = (d: ReturnType<typeof decidePrediction>) => (d.kind === 'write' ? d.task : undefined);

describe('writing predictions onto tasks', () => {
  it('prelabels a new task for review, and scores it for the queue', () => {
    const t = written(decidePrediction(task('new'), prediction('run-000000250')))!;
    expect(t.state).toBe('prelabeled');
    expect(t.prelabel).toMatchObject({ modelRunId: 'run-000000250', boxes: [box], threshold: 0.6, confidence: 0.4 });
    expect(t.modelScore).toMatchObject({ modelRunId: 'run-000000250', confidence: 0.4 });
  });

  it('a rejected model only ranks the queue: no prelabel, the task stays new', () => {
    const t = written(decidePrediction(task('new'), prediction('run-000000250', [box], false)))!;
    expect(t.state).toBe('new');
    expect(t.prelabel).toBeUndefined();
    expect(t.modelScore?.confidence).toBe(0.4);
  });

  it('a task out in a batch keeps what its labeler sees; the prelabel shows once the batch lets it go', () => {
    const out = task('assigned', { assignment: { batchId: 'b1', labelerId: 'ada', leaseExpiresAt: now } });
    const t = written(decidePrediction(out, prediction('run-000000250')))!;
    expect(t.state).toBe('assigned');
    expect(t.prelabel).toBeUndefined();
    expect(t.pendingPrelabel?.modelRunId).toBe('run-000000250');
    const released = decideRelease(t, 'b1', now);
    expect(released.kind === 'write' && released.task).toMatchObject({
      state: 'prelabeled',
      prelabel: { modelRunId: 'run-000000250' },
    });
    const submitted = decideSubmit(t, { boxes: [] }, { labelerId: 'ada', batchId: 'b1', now } as never);
    expect(submitted.kind === 'write' && submitted.task.pendingPrelabel).toBeUndefined();
  });

  it('a newer run replaces an older prelabel; an older or the same run changes nothing', () => {
    const old = written(decidePrediction(task('new'), prediction('run-000000250')))!;
    const newer = written(decidePrediction(old, prediction('run-000000750', [{ ...box, x: 12 }])))!;
    expect(newer.prelabel?.modelRunId).toBe('run-000000750');
    expect(decidePrediction(newer, prediction('run-000000250')).kind).toBe('ignore');
    expect(decidePrediction(newer, prediction('run-000000750')).kind).toBe('ignore');
    // The newer model sees nothing above its threshold: the old prelabel goes, the task returns to the manual queue.
    const cleared = written(decidePrediction(old, prediction('run-000000750', [])))!;
    expect(cleared).toMatchObject({ state: 'new', modelScore: { modelRunId: 'run-000000750' } });
    expect(cleared.prelabel).toBeUndefined();
  });

  it('never touches a task a person labeled, skipped, or that is removed or rejected (any state, any run)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...taskStates), fc.nat(999), fc.boolean(), (state, n, prelabel) => {
        const decision = decidePrediction(task(state), prediction(trainingRunIdFor(n), [box], prelabel));
        if (!['new', 'prelabeled', 'assigned'].includes(state)) expect(decision.kind).toBe('ignore');
        if (decision.kind === 'write') {
          // Applying it again is a no-op (a retried part), and nothing but the model's fields changed.
          expect(decidePrediction(decision.task, prediction(trainingRunIdFor(n), [box], prelabel)).kind).toBe('ignore');
          expect(decision.task.annotation).toBeUndefined();
        }
      }),
    );
  });

  it('keeps a prelabel a labeler can accept: at most the boxes a submission may hold, the highest scores first', () => {
    const many = Array.from({ length: maxBoxesPerImage + 500 }, (_, i) => ({
      ...box,
      x: i % 500,
      score: (i % 997) / 997,
    }));
    const prelabel = written(decidePrediction(task('new'), prediction('run-000000250', many)))!.prelabel!;
    expect(prelabel.boxes).toHaveLength(maxBoxesPerImage);
    const lowestKept = Math.min(...prelabel.boxes!.map((b) => b.score!));
    const dropped = many.length - many.filter((b) => b.score! >= lowestKept).length;
    expect(dropped).toBeGreaterThan(0);
    // Accepting it unchanged is a valid submission, recorded as accepted.
    const claimed = {
      ...task('assigned'),
      prelabel,
      assignment: { batchId: 'b', labelerId: 'ann', leaseExpiresAt: now },
    };
    const body = { boxes: prelabel.boxes!.map(({ score: _s, ...b }) => b) };
    expect(annotationSchemaFor(aProject('p'), { width: 640, height: 480 }).safeParse(body).success).toBe(true);
    const accepted = decideSubmit(claimed, body, { labelerId: 'ann', now });
    expect(accepted.kind === 'write' && accepted.task.annotation?.prelabelOutcome).toBe('accepted');
  });

  it('run ids sort in request order, manual runs included', () => {
    expect(trainingRunIdFor(250) < manualRunIdFor(300)).toBe(true);
    expect(manualRunIdFor(300) < trainingRunIdFor(751)).toBe(true);
    expect(trainingRunIdFor(999) < trainingRunIdFor(1000)).toBe(true);
  });
});

describe('uncertainty for the manual queue', () => {
  it('an image is as uncertain as its most uncertain box; nothing above the floor is confidently empty', () => {
    expect(imageConfidence([0.95, 0.5])).toBe(0);
    expect(imageConfidence([0.9])).toBeCloseTo(0.8);
    expect(imageConfidence([0.01, 0.02])).toBe(1);
    expect(imageConfidence([])).toBe(1);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true })), (scores) => {
        const c = imageConfidence(scores);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(1);
        expect(imageConfidence([...scores, 0.5])).toBeLessThanOrEqual(c);
      }),
    );
  });
});

describe('when the next run is due', () => {
  const settings = mlAssistSchema.parse({});
  const run = (state: TrainingRun['state'], extra: Partial<TrainingRun> = {}): TrainingRun => ({
    id: trainingRunIdFor(250),
    projectId: 'p',
    state,
    threshold: 250,
    labeledAtRequest: 260,
    requestedAt: now,
    trigger: 'threshold',
    ...extra,
  });

  it('first at the initial threshold, then never while a run is in progress', () => {
    expect(nextTrainingThreshold(settings, [])).toBe(250);
    for (const state of ['requested', 'queued', 'running', 'validating', 'prelabeling'] as const) {
      expect(nextTrainingThreshold(settings, [run(state)])).toBeUndefined();
    }
  });

  it('after a rejected model: the labels the gate asked for; after a good one: retrainAfterLabels more', () => {
    const gate = { passed: false, precision: 0.7, recall: 0.3, meanIoU: 0.7, additionalLabelsNeeded: 310 };
    expect(nextTrainingThreshold(settings, [run('rejected', { gate })])).toBe(260 + 310);
    expect(nextTrainingThreshold(settings, [run('rejected')])).toBe(260 + settings.additionalLabelsOnRejectedModel);
    expect(nextTrainingThreshold(settings, [run('completed')])).toBe(260 + settings.retrainAfterLabels);
    expect(nextTrainingThreshold(settings, [run('failed')])).toBe(260 + settings.additionalLabelsOnRejectedModel);
    // The latest run decides, manual runs included.
    const manual = run('completed', {
      id: manualRunIdFor(400),
      labeledAtRequest: 400,
      threshold: 400,
      trigger: 'manual',
    });
    expect(nextTrainingThreshold(settings, [run('rejected'), manual])).toBe(400 + settings.retrainAfterLabels);
  });
});
