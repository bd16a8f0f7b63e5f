import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDelta, counterDelta, inWindow, secondsBucketBounds, type CounterDelta } from '../../shared/domain/counters';
import { buildDashboard, dashboardWindow, histogramQuantile } from '../../shared/domain/dashboard';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import type { Task } from '../../shared/domain/task';
import { aProject } from '../store/storeFixtures';

const now = new Date('2026-12-01T14:30:00.000Z');
const project = aProject('p');

let n = 0;
function task(overrides: Partial<Task>): Task {
  n++;
  return {
    id: `t${n}`,
    projectId: 'p',
    container: 'images',
    blobPath: `img-${n}.jpg`,
    blobUrl: '',
    contentType: 'image/jpeg',
    sizeBytes: 1,
    width: 100,
    height: 100,
    eTag: '',
    sequencer: '',
    state: 'new',
    shuffleKey: 0.5,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...overrides,
  };
}

function labeled(by: string, at: string, labels: string[], extra: Partial<NonNullable<Task['annotation']>> = {}): Task {
  const boxes = labels.map((label) => ({ label, x: 1, y: 1, width: 5, height: 5 }));
  return task({ state: 'labeled', annotation: { boxes, by, at, ...extra } });
}

/** The counters a store would hold for these tasks: each task's contribution, as the adapters add them up. */
function countersOf(tasks: Task[]): CounterDelta {
  const values: CounterDelta = {};
  for (const t of tasks) addDelta(values, counterDelta(undefined, t));
  return values;
}

function run(overrides: Partial<TrainingRun>): TrainingRun {
  return {
    id: 'run-000000250',
    projectId: 'p',
    state: 'completed',
    threshold: 250,
    labeledAtRequest: 250,
    requestedAt: '2026-12-01T10:00:00.000Z',
    trigger: 'threshold',
    ...overrides,
  };
}

const dashboardOf = (tasks: Task[], runs: TrainingRun[] = [], onlyLabeler?: string) =>
  buildDashboard({
    project,
    values: countersOf(tasks),
    runs,
    members: [],
    now,
    ...(onlyLabeler ? { onlyLabeler } : {}),
  });

describe('dashboard figures', () => {
  it('counts images by state, boxes per class in the project label order, and the queue', () => {
    const d = dashboardOf([
      labeled('ann', '2026-12-01T14:05:00Z', ['dog', 'cat', 'dog']),
      labeled('bob', '2026-12-01T13:10:00Z', ['horse'], { prelabelOutcome: 'edited', prelabelRunId: 'run-000000250' }),
      task({ state: 'skipped', skip: { by: 'ann', at: '2026-12-01T14:06:00Z', reason: 'noObjects' } }),
      task({ state: 'new' }),
      task({ state: 'prelabeled' }),
      task({ state: 'assigned' }),
      task({ state: 'removed' }),
      task({ state: 'rejected' }),
    ]);
    expect(d.totals).toEqual({
      images: 6,
      new: 1,
      prelabeled: 1,
      assigned: 1,
      labeled: 2,
      labeledManually: 1,
      labeledFromPrelabels: 1,
      labeledImported: 0,
      skipped: 1,
      skippedByReason: { noObjects: 1 },
      removed: 1,
      rejected: 1,
      progress: 0.5,
    });
    // Project order first (cat, dog), then a class that is no longer in the project's list.
    expect(d.classes).toEqual({
      total: 4,
      byLabel: [
        { label: 'cat', count: 1 },
        { label: 'dog', count: 2 },
        { label: 'horse', count: 1 },
      ],
    });
    expect(d.queue).toEqual({ manual: 1, prelabeled: 1, inProgress: 1 });
    expect(d.progressOverTime.hourly).toHaveLength(48);
    expect(d.progressOverTime.hourly.at(-1)).toEqual({ hour: '2026-12-01T14:00:00.000Z', labeled: 1 });
    expect(d.progressOverTime.hourly.at(-2)).toEqual({ hour: '2026-12-01T13:00:00.000Z', labeled: 1 });
    expect(d.progressOverTime.daily).toEqual([{ day: '2026-12-01', labeled: 2 }]);
  });

  it('fills the daily series with zeros from the first labeled day to today', () => {
    const d = dashboardOf([
      labeled('ann', '2026-11-28T09:00:00Z', ['cat']),
      labeled('ann', '2026-12-01T01:00:00Z', []),
    ]);
    expect(d.progressOverTime.daily).toEqual([
      { day: '2026-11-28', labeled: 1 },
      { day: '2026-11-29', labeled: 0 },
      { day: '2026-11-30', labeled: 0 },
      { day: '2026-12-01', labeled: 1 },
    ]);
  });

  it('shows each labeler: counts, boxes per image, time per image, prelabel outcomes, last activity, throughput', () => {
    const tasks = [
      labeled('ann', '2026-12-01T14:01:00Z', ['cat', 'cat'], { secondsOnTask: 4 }),
      labeled('ann', '2026-12-01T13:50:00Z', ['dog'], {
        secondsOnTask: 10,
        prelabelOutcome: 'accepted',
        prelabelRunId: 'run-000000250',
      }),
      labeled('ann', '2026-11-30T10:00:00Z', [], { secondsOnTask: 30 }),
      task({ state: 'skipped', skip: { by: 'ann', at: '2026-12-01T14:20:00Z', reason: 'unsure' } }),
      labeled('bob', '2026-11-29T08:00:00Z', ['cat']),
    ];
    const d = dashboardOf(tasks);
    expect(d.labelers.map((l) => l.labelerId)).toEqual(['ann', 'bob']);
    const ann = d.labelers[0]!;
    expect(ann).toMatchObject({
      labeled: 3,
      skipped: 1,
      boxes: 3,
      boxesPerImage: 1,
      prelabels: { accepted: 1, edited: 0, cleared: 0 },
      lastActiveDay: '2026-12-01',
      lastActiveHour: '2026-12-01T14:00:00.000Z',
      // This hour: 2 (14:01, 14:20); the previous hour's one (13:50) counts half, 30 minutes into this hour.
      // The last 24 hours: 3 (the submission of Nov 30, 10:00 is older).
      throughput: { lastHour: 3, lastDay: 3 },
    });
    expect(ann.secondsPerImage!.timedSubmissions).toBe(3);
    expect(ann.secondsPerImage!.mean).toBe(14.7);
    // The true median is 10 s: the histogram places it within 10's bucket (8–10 s].
    expect(ann.secondsPerImage!.median).toBeGreaterThan(8);
    expect(ann.secondsPerImage!.median).toBeLessThanOrEqual(10);
    expect(d.labelers[1]).toMatchObject({ labelerId: 'bob', labeled: 1, throughput: { lastHour: 0, lastDay: 0 } });
    expect(d.labelers[1]!.secondsPerImage).toBeUndefined();

    // The dashboard reads only a window of the series (48 hours, a year of days): nothing it shows is lost.
    const windowed = Object.fromEntries(
      Object.entries(countersOf(tasks)).filter(([key]) => inWindow(key, dashboardWindow(now))),
    );
    expect(buildDashboard({ project, values: windowed, runs: [], members: [], now })).toEqual(d);
    expect(Object.keys(windowed).length).toBeLessThan(Object.keys(countersOf(tasks)).length);
    // Active more than 48 hours ago: the day is known, the hour is not read.
    expect(d.labelers[1]).toMatchObject({ lastActiveDay: '2026-11-29' });
    expect(
      buildDashboard({ project, values: windowed, runs: [], members: [], now }).labelers[1]!.lastActiveHour,
    ).toBeUndefined();

    // A labeler sees their own row only.
    expect(dashboardOf(tasks, [], 'bob').labelers.map((l) => l.labelerId)).toEqual(['bob']);
  });

  it("counts imported labels as labeled and in the classes, but not as anyone's work or an hour's progress", () => {
    const imported = labeled('import:imp-1', '2026-12-01T14:10:00Z', ['cat', 'dog'], {
      imported: { importId: 'imp-1', format: 'coco' },
    });
    const d = dashboardOf([imported, labeled('ann', '2026-12-01T14:11:00Z', ['cat'])]);
    expect(d.totals).toMatchObject({ labeled: 2, labeledManually: 1, labeledImported: 1, labeledFromPrelabels: 0 });
    expect(d.classes.byLabel).toEqual([
      { label: 'cat', count: 2 },
      { label: 'dog', count: 1 },
    ]);
    expect(d.labelers.map((l) => l.labelerId)).toEqual(['ann']);
    expect(d.progressOverTime.hourly.at(-1)).toEqual({ hour: '2026-12-01T14:00:00.000Z', labeled: 1 });
    expect(d.mlAssist.labeled).toBe(2);
  });

  it('keeps labeler ids and labels with dots, slashes and tildes intact', () => {
    const odd = 'first.last/x~y@example.com';
    const d = dashboardOf([labeled(odd, '2026-12-01T14:01:00Z', ['a.b'])]);
    expect(d.labelers.map((l) => l.labelerId)).toEqual([odd]);
    expect(d.classes.byLabel.at(-1)).toEqual({ label: 'a.b', count: 1 });
  });
});

describe('ML Assist state on the dashboard', () => {
  const labeledN = (count: number) =>
    Array.from({ length: count }, () => labeled('ann', '2026-12-01T10:00:00Z', ['cat']));

  it('counts down the labels needed before the first run', () => {
    const d = dashboardOf(labeledN(120));
    expect(d.mlAssist).toMatchObject({
      enabled: true,
      phase: 'collectingLabels',
      labeled: 120,
      nextTrainingAt: 250,
      labelsNeededBeforeNextRun: 130,
      runs: [],
    });
  });

  it('after a rejected model, asks for the labels its gate named, and says why', () => {
    const rejected = run({
      state: 'rejected',
      gate: {
        passed: false,
        precision: 0.6,
        recall: 0.3,
        meanIoU: 0.5,
        reason: 'precision 0.60 < 0.90',
        additionalLabelsNeeded: 300,
      },
    });
    const d = dashboardOf(labeledN(260), [rejected]);
    expect(d.mlAssist).toMatchObject({
      phase: 'collectingLabels',
      nextTrainingAt: 550,
      labelsNeededBeforeNextRun: 290,
      lastRunOutcome: { runId: 'run-000000250', state: 'rejected', reason: 'precision 0.60 < 0.90' },
    });
    expect(d.mlAssist.runs[0]).toMatchObject({ gate: { passed: false, additionalLabelsNeeded: 300 } });
  });

  it('shows a run in progress, its calibrated threshold and metrics, and how its prelabels fared', () => {
    const evaluation = {
      validationImages: 50,
      mAP50: 0.8,
      mAP50_95: 0.5,
      matchedMeanIoU: 0.75,
      perClass: {},
      calibration: { kind: 'platt' as const, a: -4, b: 2, eceBefore: 0.1, eceAfter: 0.02 },
    };
    const prelabeling = run({
      state: 'prelabeling',
      evaluation,
      gate: { passed: true, threshold: 0.62, precision: 0.92, recall: 0.7, meanIoU: 0.78 },
    });
    const reviewed = [
      labeled('ann', '2026-12-01T14:00:00Z', ['cat'], { prelabelOutcome: 'accepted', prelabelRunId: prelabeling.id }),
      labeled('ann', '2026-12-01T14:00:00Z', [], { prelabelOutcome: 'cleared', prelabelRunId: prelabeling.id }),
    ];
    const d = dashboardOf([...labeledN(250), ...reviewed], [prelabeling]);
    expect(d.mlAssist.phase).toBe('prelabeling');
    expect(d.mlAssist.nextTrainingAt).toBeUndefined();
    expect(d.mlAssist.runs[0]).toMatchObject({
      metrics: { mAP50: 0.8, mAP50_95: 0.5, matchedMeanIoU: 0.75 },
      gate: { passed: true, threshold: 0.62, precision: 0.92 },
      fieldOutcomes: { accepted: 1, edited: 0, cleared: 1 },
    });
    expect(d.mlAssist.prelabelOutcomes).toEqual({ accepted: 1, edited: 0, cleared: 1 });
    expect(dashboardOf(labeledN(250), [run({ state: 'running' })]).mlAssist.phase).toBe('training');
    expect(dashboardOf(labeledN(250)).mlAssist.phase).toBe('trainingDue');
    const off = buildDashboard({
      project: aProject('p', { mlAssist: { ...project.mlAssist, enabled: false } }),
      values: countersOf(labeledN(3)),
      runs: [],
      members: [],
      now,
    });
    expect(off.mlAssist).toMatchObject({ enabled: false, phase: 'off' });
    expect(off.mlAssist.nextTrainingAt).toBeUndefined();
  });
});

describe('time-per-image quantiles from the histogram', () => {
  const bucketsOf = (seconds: number[]) => {
    const buckets = new Array<number>(secondsBucketBounds.length + 1).fill(0);
    for (const s of seconds) {
      const i = secondsBucketBounds.findIndex((b) => s <= b);
      buckets[i === -1 ? secondsBucketBounds.length : i]!++;
    }
    return buckets;
  };
  const boundsOf = (s: number): [number, number] => {
    const i = secondsBucketBounds.findIndex((b) => s <= b);
    if (i === -1) return [secondsBucketBounds.at(-1)!, secondsBucketBounds.at(-1)!];
    return [i === 0 ? 0 : secondsBucketBounds[i - 1]!, secondsBucketBounds[i]!];
  };

  it('place the median and p90 in the bucket of the true order statistic, median ≤ p90', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1, max: 5000, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const buckets = bucketsOf(xs);
        for (const q of [0.5, 0.9]) {
          const estimate = histogramQuantile(buckets, q)!;
          // The order statistic at rank ceil(q·n) (1-based) is the sample the estimate's rank falls on.
          const truth = sorted[Math.max(0, Math.ceil(q * xs.length) - 1)]!;
          const [lower, upper] = boundsOf(truth);
          expect(estimate).toBeGreaterThanOrEqual(lower - 0.05);
          expect(estimate).toBeLessThanOrEqual(upper + 0.05);
        }
        expect(histogramQuantile(buckets, 0.5)!).toBeLessThanOrEqual(histogramQuantile(buckets, 0.9)!);
      }),
    );
    expect(histogramQuantile(bucketsOf([]), 0.5)).toBeUndefined();
  });
});
