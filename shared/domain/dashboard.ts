import {
  decodeCounterSegment,
  liveTotal,
  outcomesUnder,
  projectCountersOf,
  runOutcomes,
  secondsBucketBounds,
  type CounterDelta,
  type CounterWindow,
  type PrelabelOutcome,
} from './counters';
import type { Member, TrainingRun } from './labelingRecords';
import type { Project } from './project';
import { nextTrainingThreshold } from './training';
import { isActiveRun } from './trainingRun';

/**
 * The project dashboard, built from the maintained counters (shared/domain/counters.ts), the training runs and the
 * members: never from a scan of the tasks. Pure, so every figure is tested without a store.
 */
export interface Dashboard {
  projectId: string;
  generatedAt: string;
  totals: {
    /** Live images (everything but removed and rejected blobs). */
    images: number;
    new: number;
    /** Prelabeled by a model, waiting for a person's review. */
    prelabeled: number;
    assigned: number;
    labeled: number;
    /** Labeled by hand, by reviewing a prelabel, and imported from a file (`POST …/imports`). */
    labeledManually: number;
    labeledFromPrelabels: number;
    labeledImported: number;
    skipped: number;
    skippedByReason: Record<string, number>;
    removed: number;
    rejected: number;
    /** Share of live images that are done (labeled or skipped), 0..1. */
    progress: number;
  };
  /** Boxes (or classification labels) on labeled images, per class in the project's label order. */
  classes: { total: number; byLabel: Array<{ label: string; count: number }> };
  /** What a labeler asking for work would be served: prelabels to review first, then manual work. */
  queue: { manual: number; prelabeled: number; inProgress: number };
  /** Labeled images per UTC hour (the last 48 hours, zeros included) and per UTC day (since the first label). */
  progressOverTime: {
    hourly: Array<{ hour: string; labeled: number }>;
    daily: Array<{ day: string; labeled: number }>;
  };
  mlAssist: MlAssistView;
  labelers: LabelerPerformance[];
}

export type MlAssistPhase =
  /** ML Assist is off for this project. */
  | 'off'
  /** Collecting manual labels until the next training threshold. */
  | 'collectingLabels'
  /** The threshold is reached: a run is about to be requested. */
  | 'trainingDue'
  /** A run is training, validating or writing its prelabels. */
  | 'training'
  | 'prelabeling';

export interface MlAssistView {
  enabled: boolean;
  phase: MlAssistPhase;
  labeled: number;
  /** The labeled count at which the next run starts (absent while a run is in progress). */
  nextTrainingAt?: number;
  /** Manual labels still needed before the next model run ("N more manual labels"). */
  labelsNeededBeforeNextRun?: number;
  /** Why the current count is asked for, after the last run (its gate's reason, failure or "passed"). */
  lastRunOutcome?: { runId: string; state: TrainingRun['state']; reason?: string };
  runs: RunSummary[];
  /** How labelers treated prelabels so far, over all runs. */
  prelabelOutcomes: Record<PrelabelOutcome, number>;
}

export interface RunSummary {
  runId: string;
  state: TrainingRun['state'];
  trigger: TrainingRun['trigger'];
  requestedAt: string;
  finishedAt?: string;
  labeledAtRequest: number;
  progress?: number;
  metrics?: { mAP50: number; mAP50_95: number; matchedMeanIoU: number };
  gate?: {
    passed: boolean;
    /** The calibrated score at or above which boxes become prelabels. */
    threshold?: number;
    precision?: number;
    recall?: number;
    meanIoU?: number;
    reason?: string;
    additionalLabelsNeeded?: number;
  };
  predictions?: TrainingRun['predictions'];
  /** How labelers treated this run's prelabels (accepted unchanged, edited, cleared). */
  fieldOutcomes: Record<PrelabelOutcome, number>;
  failure?: string;
}

export interface LabelerPerformance {
  labelerId: string;
  role?: Member['role'];
  labeled: number;
  skipped: number;
  boxes: number;
  boxesPerImage?: number;
  /** From submissions that said how long the image was on screen (`secondsOnTask`); read from a histogram. */
  secondsPerImage?: { median: number; p90: number; mean: number; timedSubmissions: number };
  prelabels: Record<PrelabelOutcome, number>;
  /** The UTC day of the labeler's last submission or skip (within the last year). */
  lastActiveDay?: string;
  /** The UTC hour (start) of the labeler's last submission or skip, when it was within the last 48 hours. */
  lastActiveHour?: string;
  /** Images done (labeled or skipped): the last 60 minutes, estimated from hour buckets; and the last 24 hours. */
  throughput: { lastHour: number; lastDay: number };
}

const hourMs = 3_600_000;

export function hourKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

function hourStartMs(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

/**
 * The counters grouped by their first segment in one pass (`label.cat` → group `label`, key `cat`), with each
 * labeler's keys grouped apart: the dashboard reads thousands of counters, so no figure scans them all again.
 */
interface GroupedCounters {
  top: Map<string, Map<string, number>>;
  labelers: Map<string, LabelerCounters>;
}

/** One labeler's counters: `labeler.<id>.<key>` by key, their hour series by hour, and their latest active day. */
interface LabelerCounters {
  own: Map<string, number>;
  hours: Map<string, number>;
  latestDay: string;
}

function labelerCounters(labelers: Map<string, LabelerCounters>, id: string): LabelerCounters {
  let found = labelers.get(id);
  if (!found) labelers.set(id, (found = { own: new Map(), hours: new Map(), latestDay: '' }));
  return found;
}

/**
 * The counters grouped in one pass (the dashboard reads about 1,200 of them in a month-old COCO-sized project): by
 * their first segment, and each labeler's apart (`labeler.<id>.<key>`, `labelerHour.<h>.<id>`, `labelerDay.<d>.<id>`).
 * Only what a windowed read returns is kept, so a store's full counters and its windowed ones give the same dashboard.
 */
function grouped(values: CounterDelta, window: CounterWindow): GroupedCounters {
  const top = new Map<string, Map<string, number>>();
  const labelers = new Map<string, LabelerCounters>();
  for (const key in values) {
    const n = values[key]!;
    const dot = key.indexOf('.');
    const group = dot === -1 ? key : key.slice(0, dot);
    if (group === 'labeler') {
      const end = key.indexOf('.', dot + 1);
      labelerCounters(labelers, key.slice(dot + 1, end)).own.set(key.slice(end + 1), n);
    } else if (group === 'labelerHour' || group === 'labelerDay') {
      const end = key.indexOf('.', dot + 1);
      const period = key.slice(dot + 1, end);
      if (n <= 0 || period < (group === 'labelerHour' ? window.hoursFrom : window.daysFrom)) continue;
      const labeler = labelerCounters(labelers, key.slice(end + 1));
      if (group === 'labelerHour') labeler.hours.set(period, n);
      else if (period > labeler.latestDay) labeler.latestDay = period;
    } else {
      let entries = top.get(group);
      if (!entries) top.set(group, (entries = new Map()));
      entries.set(dot === -1 ? '' : key.slice(dot + 1), n);
    }
  }
  return { top, labelers };
}

function under(entries: Map<string, number> | undefined, prefix = ''): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  for (const [key, n] of entries ?? []) if (key.startsWith(prefix)) found.push([key.slice(prefix.length), n]);
  return found;
}

/**
 * A quantile read from the time-per-image histogram: linear within the bucket it falls in (the open last bucket
 * reports its lower bound).
 */
export function histogramQuantile(buckets: readonly number[], q: number): number | undefined {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : secondsBucketBounds[i - 1]!;
      const upper = secondsBucketBounds[i];
      if (upper === undefined) return lower;
      return round1(lower + ((rank - seen) / n) * (upper - lower));
    }
    seen += n;
  }
  return secondsBucketBounds[secondsBucketBounds.length - 1];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function outcomesIn(entries: Map<string, number> | undefined, prefix = ''): Record<PrelabelOutcome, number> {
  return outcomesUnder((key) => entries?.get(key), prefix);
}

/** The latest period of a series' entries (periods sort as strings). */
/** The hours a labeler's throughput reads, computed once per dashboard rather than once per labeler. */
interface RecentHours {
  current: string;
  previous: string;
  /** How far into the current hour `now` is (0–1). */
  intoHour: number;
  /** The current hour and the 24 before it, newest first. */
  lastDay: string[];
}

function recentHours(now: number): RecentHours {
  const current = hourKey(now);
  return {
    current,
    previous: hourKey(now - hourMs),
    intoHour: (now - hourStartMs(current)) / hourMs,
    lastDay: Array.from({ length: 25 }, (_, h) => hourKey(now - h * hourMs)),
  };
}

function labelerPerformance(
  labelerId: string,
  counters: LabelerCounters,
  role: Member['role'] | undefined,
  recent: RecentHours,
): LabelerPerformance {
  const { own, hours: byHour, latestDay } = counters;
  const get = (key: string) => own.get(key) ?? 0;
  const labeled = get('labeled');
  const timed = get('timed');
  const buckets = Array.from({ length: secondsBucketBounds.length + 1 }, (_, i) => get(`secondsBucket.${i}`));
  const { intoHour } = recent;
  const lastHour = (byHour.get(recent.current) ?? 0) + (byHour.get(recent.previous) ?? 0) * (1 - intoHour);
  let lastDay = 0;
  for (let h = 0; h < 24; h++) lastDay += byHour.get(recent.lastDay[h]!) ?? 0;
  // Part of the hour 24 hours ago still falls within the last day.
  lastDay += (byHour.get(recent.lastDay[24]!) ?? 0) * (1 - intoHour);
  let latestHour = '';
  for (const hour of byHour.keys()) if (hour > latestHour) latestHour = hour;
  const median = histogramQuantile(buckets, 0.5);
  const p90 = histogramQuantile(buckets, 0.9);
  return {
    labelerId: decodeCounterSegment(labelerId),
    ...(role ? { role } : {}),
    labeled,
    skipped: get('skipped'),
    boxes: get('boxes'),
    ...(labeled > 0 ? { boxesPerImage: round1(get('boxes') / labeled) } : {}),
    ...(timed > 0 && median !== undefined && p90 !== undefined
      ? { secondsPerImage: { median, p90, mean: round1(get('deciseconds') / 10 / timed), timedSubmissions: timed } }
      : {}),
    prelabels: outcomesIn(own, 'outcome.'),
    ...(latestDay ? { lastActiveDay: latestDay } : {}),
    ...(latestHour ? { lastActiveHour: `${latestHour}:00:00.000Z` } : {}),
    throughput: { lastHour: Math.round(lastHour), lastDay: Math.round(lastDay) },
  };
}

function runSummary(run: TrainingRun, values: CounterDelta): RunSummary {
  const e = run.evaluation;
  const g = run.gate;
  return {
    runId: run.id,
    state: run.state,
    trigger: run.trigger,
    requestedAt: run.requestedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    labeledAtRequest: run.labeledAtRequest,
    ...(run.progress !== undefined ? { progress: run.progress } : {}),
    ...(e ? { metrics: { mAP50: e.mAP50, mAP50_95: e.mAP50_95, matchedMeanIoU: e.matchedMeanIoU } } : {}),
    ...(g
      ? {
          gate: {
            passed: g.passed,
            ...(g.threshold !== undefined ? { threshold: g.threshold } : {}),
            ...(g.precision !== undefined ? { precision: g.precision } : {}),
            ...(g.recall !== undefined ? { recall: g.recall } : {}),
            ...(g.meanIoU !== undefined ? { meanIoU: g.meanIoU } : {}),
            ...(g.reason ? { reason: g.reason } : {}),
            ...(g.additionalLabelsNeeded !== undefined ? { additionalLabelsNeeded: g.additionalLabelsNeeded } : {}),
          },
        }
      : {}),
    ...(run.predictions ? { predictions: run.predictions } : {}),
    fieldOutcomes: runOutcomes(values, run.id),
    ...(run.failure ? { failure: run.failure } : {}),
  };
}

function mlAssistView(
  project: Project,
  runs: readonly TrainingRun[],
  values: CounterDelta,
  outcomes: Map<string, number> | undefined,
  labeled: number,
) {
  const settings = project.mlAssist;
  const sorted = [...runs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const active = sorted.find(isActiveRun);
  const next = nextTrainingThreshold(settings, sorted);
  const last = sorted.at(-1);
  let phase: MlAssistPhase;
  if (!settings.enabled) phase = 'off';
  else if (active) phase = active.state === 'prelabeling' ? 'prelabeling' : 'training';
  else if (next !== undefined && labeled >= next) phase = 'trainingDue';
  else phase = 'collectingLabels';
  const lastReason = last && !isActiveRun(last) ? (last.gate?.reason ?? last.failure) : undefined;
  const view: MlAssistView = {
    enabled: settings.enabled,
    phase,
    labeled,
    ...(next !== undefined ? { nextTrainingAt: next, labelsNeededBeforeNextRun: Math.max(0, next - labeled) } : {}),
    ...(last && !isActiveRun(last)
      ? { lastRunOutcome: { runId: last.id, state: last.state, ...(lastReason ? { reason: lastReason } : {}) } }
      : {}),
    runs: sorted.map((run) => runSummary(run, values)),
    prelabelOutcomes: outcomesIn(outcomes),
  };
  return view;
}

function series(byHour: Map<string, number> | undefined, byDay: Map<string, number> | undefined, now: number) {
  const hourly = Array.from({ length: 48 }, (_, i) => {
    const hour = hourKey(now - (47 - i) * hourMs);
    return { hour: `${hour}:00:00.000Z`, labeled: byHour?.get(hour) ?? 0 };
  });
  const perDay = new Map(under(byDay).filter(([, n]) => n > 0));
  const days = [...perDay.keys()].sort();
  const daily: Array<{ day: string; labeled: number }> = [];
  if (days.length > 0) {
    const today = new Date(now).toISOString().slice(0, 10);
    // Zero-filled from the first labeled day to today, at most a year back (a plot, not an archive).
    const start = Math.max(Date.parse(`${days[0]}T00:00:00Z`), Date.parse(`${today}T00:00:00Z`) - 365 * 24 * hourMs);
    for (let t = start; t <= Date.parse(`${today}T00:00:00Z`); t += 24 * hourMs) {
      const day = new Date(t).toISOString().slice(0, 10);
      daily.push({ day, labeled: perDay.get(day) ?? 0 });
    }
  }
  return { hourly, daily };
}

/** The part of the hour and day series the dashboard shows: 48 hours, and a year of days. */
export function dashboardWindow(now: Date): CounterWindow {
  return {
    hoursFrom: hourKey(now.getTime() - 47 * hourMs),
    daysFrom: new Date(now.getTime() - 365 * 24 * hourMs).toISOString().slice(0, 10),
  };
}

export interface DashboardInput {
  project: Project;
  /** The project's maintained counters (store.tasks.counterValues), series at least within `dashboardWindow`. */
  values: CounterDelta;
  runs: readonly TrainingRun[];
  members: readonly Member[];
  now: Date;
  /** A labeler (not an admin) sees the project's figures and their own row only. */
  onlyLabeler?: string;
}

export function buildDashboard(input: DashboardInput): Dashboard {
  const { project, values, runs, members } = input;
  const now = input.now.getTime();
  const c = projectCountersOf(values);
  const groups = grouped(values, dashboardWindow(input.now));
  const recent = recentHours(now);
  const live = liveTotal(c);
  const labelOrder = project.labels.map((l) => l.name);
  const classCounts = new Map(under(groups.top.get('label')).map(([k, n]) => [decodeCounterSegment(k), n]));
  const byLabel = [
    ...labelOrder.map((label) => ({ label, count: classCounts.get(label) ?? 0 })),
    // Classes no longer in the project's list still have boxes on labeled images.
    ...[...classCounts]
      .filter(([label, n]) => !labelOrder.includes(label) && n > 0)
      .map(([label, count]) => ({ label, count })),
  ];
  const roles = new Map(members.map((m) => [m.userId, m.role]));
  const labelers = [...groups.labelers]
    .map(([id, counters]) => labelerPerformance(id, counters, roles.get(decodeCounterSegment(id)), recent))
    .filter((l) => input.onlyLabeler === undefined || l.labelerId === input.onlyLabeler)
    .sort((a, b) => b.labeled - a.labeled || (a.labelerId < b.labelerId ? -1 : 1));
  const skippedByReason = Object.fromEntries(under(groups.top.get('skipped')).filter(([, n]) => n > 0));
  return {
    projectId: project.id,
    generatedAt: input.now.toISOString(),
    totals: {
      images: live,
      new: c.byState.new,
      prelabeled: c.byState.prelabeled,
      assigned: c.byState.assigned,
      labeled: c.byState.labeled,
      labeledManually: c.byState.labeled - c.labeledReviewed - (values.imported ?? 0),
      labeledFromPrelabels: c.labeledReviewed,
      labeledImported: values.imported ?? 0,
      skipped: c.byState.skipped,
      skippedByReason,
      removed: c.byState.removed,
      rejected: c.byState.rejected,
      progress: live === 0 ? 0 : round3((c.byState.labeled + c.byState.skipped) / live),
    },
    classes: { total: values.boxes ?? 0, byLabel },
    queue: { manual: c.byState.new, prelabeled: c.byState.prelabeled, inProgress: c.byState.assigned },
    progressOverTime: series(groups.top.get('hour'), groups.top.get('day'), now),
    mlAssist: mlAssistView(project, runs, values, groups.top.get('outcome'), c.byState.labeled),
    labelers,
  };
}
