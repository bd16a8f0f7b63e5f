import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { applyRunEvent, finishedRunStates, isActiveRun, type RunEvent } from '../../shared/domain/trainingRun';

const requested: TrainingRun = {
  id: 'run-000000250',
  projectId: 'p',
  state: 'requested',
  threshold: 250,
  labeledAtRequest: 251,
  requestedAt: '2026-12-01T10:00:00.000Z',
  trigger: 'threshold',
};
const dataset = { folder: 'p/run-000000250/dataset', trainCount: 200, validationCount: 51 };
const evaluation = {
  validationImages: 51,
  mAP50: 0.83,
  mAP50_95: 0.55,
  matchedMeanIoU: 0.78,
  perClass: {},
  calibration: { kind: 'platt' as const, a: -4, b: 2, eceBefore: 0.12, eceAfter: 0.01 },
};
const passed = { passed: true, threshold: 0.62, precision: 0.91, recall: 0.7, meanIoU: 0.78 };
const rejected = { passed: false, precision: 0.6, recall: 0.3, meanIoU: 0.5, reason: 'precision 0.60 < 0.90' };

let clock = 0;
const at = () => new Date(Date.parse('2026-12-01T10:00:00Z') + ++clock * 1000).toISOString();
const apply = (run: TrainingRun, ...events: RunEvent[]) => events.reduce((r, e) => applyRunEvent(r, e, at()), run);

describe('training run state machine', () => {
  it('walks a good run from request to prelabels: queued, running, validating, prelabeling, completed', () => {
    const run = apply(
      requested,
      { type: 'trainingSubmitted', provider: 'local', dataset, job: { jobId: 'train-1' } },
      { type: 'jobStatus', job: 'train-1', status: { state: 'queued' } },
      { type: 'jobStatus', job: 'train-1', status: { state: 'running', progress: 0.4, metrics: { loss: 1.2 } } },
    );
    expect(run).toMatchObject({ state: 'running', progress: 0.4, providerMetrics: { loss: 1.2 } });
    const validating = apply(run, { type: 'jobStatus', job: 'train-1', status: { state: 'completed' } });
    expect(validating.state).toBe('validating');
    const prelabeling = apply(
      validating,
      { type: 'inferenceSubmitted', job: { jobId: 'infer-1' } },
      { type: 'jobStatus', job: 'infer-1', status: { state: 'completed' } },
      { type: 'evaluated', evaluation, gate: passed, parts: 3 },
    );
    expect(prelabeling).toMatchObject({
      state: 'prelabeling',
      gate: passed,
      predictions: { parts: 3, partsApplied: 0 },
    });
    const partly = apply(prelabeling, { type: 'predictionsApplied', partsApplied: 2, prelabeled: 120, scored: 200 });
    expect(partly.state).toBe('prelabeling');
    const done = apply(partly, { type: 'predictionsApplied', partsApplied: 3, prelabeled: 170, scored: 300 });
    expect(done).toMatchObject({ state: 'completed', predictions: { parts: 3, partsApplied: 3, prelabeled: 170 } });
    expect(done.finishedAt).toBeDefined();
  });

  it('a model the gate rejects ends the run as rejected, and its scores still rank the queue', () => {
    const validating = apply(
      requested,
      { type: 'trainingSubmitted', provider: 'azureml', dataset, job: { jobId: 'train-1' } },
      { type: 'jobStatus', job: 'train-1', status: { state: 'completed' } },
      { type: 'inferenceSubmitted', job: { jobId: 'infer-1' } },
    );
    const run = apply(validating, { type: 'evaluated', evaluation, gate: rejected, parts: 2 });
    expect(run.state).toBe('rejected');
    expect(apply(run, { type: 'predictionsApplied', partsApplied: 2, prelabeled: 0, scored: 90 })).toMatchObject({
      state: 'rejected',
      predictions: { partsApplied: 2, scored: 90 },
    });
  });

  it('a job the provider no longer knows fails the run with the reason; so does a failed job', () => {
    const queued = apply(requested, { type: 'trainingSubmitted', provider: 'azureml', dataset, job: { jobId: 'j' } });
    expect(apply(queued, { type: 'jobStatus', job: 'j', status: undefined })).toMatchObject({
      state: 'failed',
      failure: 'the provider no longer knows the training job j',
    });
    expect(apply(queued, { type: 'jobStatus', job: 'j', status: { state: 'failed', reason: 'OOM' } })).toMatchObject({
      state: 'failed',
      failure: 'training job j failed: OOM',
    });
  });

  it('cancel: at once before submission, else when the provider confirms', () => {
    expect(apply(requested, { type: 'cancelRequested', by: 'ada' }).state).toBe('canceled');
    const running = apply(
      requested,
      { type: 'trainingSubmitted', provider: 'local', dataset, job: { jobId: 'j' } },
      { type: 'jobStatus', job: 'j', status: { state: 'running' } },
      { type: 'cancelRequested', by: 'ada' },
    );
    expect(running).toMatchObject({ state: 'running', cancelRequested: true });
    expect(apply(running, { type: 'jobStatus', job: 'j', status: { state: 'canceled' } })).toMatchObject({
      state: 'canceled',
      failure: 'canceled by ada',
    });
  });

  it('status of another job (a late poll of the training job while validating) changes nothing', () => {
    const validating = apply(
      requested,
      { type: 'trainingSubmitted', provider: 'local', dataset, job: { jobId: 'train-1' } },
      { type: 'jobStatus', job: 'train-1', status: { state: 'completed' } },
    );
    expect(applyRunEvent(validating, { type: 'jobStatus', job: 'train-1', status: undefined }, at())).toBe(validating);
  });

  // Any sequence of events, in any order, duplicated: a finished run stays finished and unchanged, applying an
  // event twice is the same as once, counts never go back, and only a prelabeling run with every part applied completes.
  const events: fc.Arbitrary<RunEvent> = fc.oneof(
    fc.constant<RunEvent>({ type: 'trainingSubmitted', provider: 'local', dataset, job: { jobId: 't' } }),
    fc
      .record({
        job: fc.constantFrom('t', 'i', 'x'),
        state: fc.constantFrom('queued', 'running', 'completed', 'failed', 'canceled', 'lost'),
      })
      .map(({ job, state }): RunEvent => ({
        type: 'jobStatus',
        job,
        status: state === 'lost' ? undefined : { state: state as 'queued' },
      })),
    fc.constant<RunEvent>({ type: 'inferenceSubmitted', job: { jobId: 'i' } }),
    fc.boolean().map((ok): RunEvent => ({ type: 'evaluated', evaluation, gate: ok ? passed : rejected, parts: 4 })),
    fc
      .record({ partsApplied: fc.integer({ min: 0, max: 5 }), prelabeled: fc.nat(100), scored: fc.nat(100) })
      .map((r): RunEvent => ({ type: 'predictionsApplied', ...r })),
    fc.constant<RunEvent>({ type: 'cancelRequested', by: 'ada' }),
    fc.constant<RunEvent>({ type: 'failed', reason: 'boom' }),
  );

  it('holds its invariants under any sequence of (duplicated) events', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(events, fc.boolean()), { maxLength: 40 }), (sequence) => {
        let run = requested;
        for (const [event, twice] of sequence) {
          const before = run;
          const after = applyRunEvent(before, event, '2026-12-01T11:00:00.000Z');
          if (finishedRunStates.includes(before.state) && event.type !== 'predictionsApplied') {
            expect(after).toBe(before);
          }
          if (twice) expect(applyRunEvent(after, event, '2026-12-01T11:00:00.000Z')).toEqual(after);
          if (before.predictions && after.predictions) {
            expect(after.predictions.partsApplied).toBeGreaterThanOrEqual(before.predictions.partsApplied);
            expect(after.predictions.partsApplied).toBeLessThanOrEqual(after.predictions.parts);
          }
          if (after.state === 'completed' && before.state !== 'completed') {
            expect(before.state).toBe('prelabeling');
            expect(after.predictions!.partsApplied).toBe(after.predictions!.parts);
          }
          if (after.state !== before.state && !isActiveRun(after)) expect(after.finishedAt).toBeDefined();
          run = after;
        }
      }),
      { numRuns: 500 },
    );
  });
});
