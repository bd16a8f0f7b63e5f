import { taskStates, type Task, type TaskState } from './task';

/**
 * Per-project counters, maintained on every task write so dashboards and the training trigger never scan.
 *
 * Every counter is a function of the project's current tasks: a task *contributes* to a set of keys
 * (`taskContribution`), and a write changes the counters by what `after` contributes minus what `before` did. So a
 * recount is the sum of every task's contribution, and redelivered or replayed writes change nothing twice.
 *
 * Keys are dot-separated segments; segments that come from users (labels, labeler ids) are encoded by
 * `counterSegment` so they never contain a dot, a slash or a tilde (the keys double as JSON-pointer paths in Cosmos).
 *  - `byState.<state>`              every task record
 *  - `labeledReviewed`              labeled tasks whose labels came from reviewing a prelabel
 *  - `imported`                     labeled tasks whose labels came from an import (POST …/imports), not a labeler
 *  - `outcome.<o>`, `run.<runId>.<o>`  how labelers treated prelabels (accepted / edited / cleared), overall and per run
 *  - `boxes`, `label.<label>`       boxes (or classification labels) on labeled tasks, in total and per class
 *  - `skipped.<reason>`             skipped tasks by reason
 *  - `hour.<yyyy-mm-ddThh>`, `day.<yyyy-mm-dd>`  labeled tasks by the UTC hour and day they were submitted
 *  - `labelerHour.<h>.<id>`, `labelerDay.<d>.<id>`  images a labeler did (labeled or skipped) per hour and day
 *  - `labeler.<id>.…`               per labeler: labeled, skipped, boxes, outcome.<o>, timed (submissions that said
 *                                   how long they took), deciseconds (their sum), secondsBucket.<i> (a histogram for
 *                                   median and p90)
 *
 * The hour and day keys are series that grow with the project's age; a reader asks for a window of them
 * (`CounterWindow`), so what a dashboard reads stays bounded however long a project runs. The period comes right
 * after the series' name, so a window is a range of keys (the labeler's series put the period before the id).
 */
export interface ProjectCounters {
  byState: Record<TaskState, number>;
  labeledReviewed: number;
}

/** Counter increments (or a full set of counters), keyed by counter path; zero entries omitted. */
export type CounterDelta = Record<string, number>;

export const prelabelOutcomes = ['accepted', 'edited', 'cleared'] as const;
export type PrelabelOutcome = (typeof prelabelOutcomes)[number];

/**
 * Upper bounds (seconds) of the time-per-image histogram buckets; the last bucket is open. Roughly logarithmic, so
 * a quantile read from it is within ~25% of the true value at any speed a person labels at.
 */
export const secondsBucketBounds = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 180, 240, 300, 420, 600, 900, 1800, 3600,
] as const;

export function emptyCounters(): ProjectCounters {
  return {
    byState: Object.fromEntries(taskStates.map((s) => [s, 0])) as Record<TaskState, number>,
    labeledReviewed: 0,
  };
}

/** A user-supplied key segment, encoded so it holds no `.`, `/` or `~`. */
export function counterSegment(value: string): string {
  return encodeURIComponent(value).replace(/\./g, '%2E').replace(/~/g, '%7E');
}

export function decodeCounterSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** The UTC hour of an ISO timestamp as a key segment (`2026-12-01T14`); undefined for a malformed timestamp. */
export function hourOf(iso: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}T\d{2}/.exec(iso)?.[0];
}

/**
 * Which part of the time series a read wants: hour keys from `hoursFrom` (`2026-11-29T14`) on and day keys from
 * `daysFrom` (`2025-12-01`) on; every other counter is read whole.
 */
export interface CounterWindow {
  hoursFrom: string;
  daysFrom: string;
}

export const seriesNames = ['hour', 'day', 'labelerHour', 'labelerDay'] as const;
export type SeriesName = (typeof seriesNames)[number];

/** Whether a series counts hours (`hour`, `labelerHour`) or days. */
export const isHourSeries = (series: SeriesName) => series === 'hour' || series === 'labelerHour';

/** The series a key belongs to and its period (the segment after the series' name), or undefined for a plain counter. */
export function seriesOf(key: string): { series: SeriesName; period: string } | undefined {
  const dot = key.indexOf('.');
  const series = key.slice(0, dot) as SeriesName;
  if (dot === -1 || !seriesNames.includes(series)) return undefined;
  const end = key.indexOf('.', dot + 1);
  return { series, period: key.slice(dot + 1, end === -1 ? undefined : end) };
}

/** Whether a counter falls inside the window (plain counters always do). */
export function inWindow(key: string, window: CounterWindow): boolean {
  const s = seriesOf(key);
  if (!s) return true;
  return s.period >= (isHourSeries(s.series) ? window.hoursFrom : window.daysFrom);
}

export function secondsBucketOf(seconds: number): number {
  const i = secondsBucketBounds.findIndex((bound) => seconds <= bound);
  return i === -1 ? secondsBucketBounds.length : i;
}

/** The counter keys one task adds to (each by the given amount). */
export function taskContribution(t: Task): CounterDelta {
  const c: CounterDelta = {};
  const add = (key: string, n = 1) => {
    if (n !== 0) c[key] = (c[key] ?? 0) + n;
  };
  const addDone = (hour: string, by: string) => {
    add(`labelerHour.${hour}.${counterSegment(by)}`);
    add(`labelerDay.${hour.slice(0, 10)}.${counterSegment(by)}`);
  };
  add(`byState.${t.state}`);
  if (t.state === 'labeled' && t.annotation) {
    const a = t.annotation;
    const classes = a.boxes ? a.boxes.map((b) => b.label) : (a.labels ?? []);
    add('boxes', classes.length);
    for (const label of classes) add(`label.${counterSegment(label)}`);
    // Labels from a file are nobody's work on this project: counted as imported, not as a labeler's or an hour's.
    if (a.imported) {
      add('imported');
      return c;
    }
    const labeler = `labeler.${counterSegment(a.by)}`;
    add(`${labeler}.labeled`);
    add(`${labeler}.boxes`, classes.length);
    const hour = hourOf(a.at);
    if (hour) {
      add(`hour.${hour}`);
      add(`day.${hour.slice(0, 10)}`);
      addDone(hour, a.by);
    }
    if (a.prelabelOutcome) {
      add('labeledReviewed');
      add(`outcome.${a.prelabelOutcome}`);
      add(`${labeler}.outcome.${a.prelabelOutcome}`);
      if (a.prelabelRunId) add(`run.${counterSegment(a.prelabelRunId)}.${a.prelabelOutcome}`);
    }
    if (a.secondsOnTask !== undefined && Number.isFinite(a.secondsOnTask)) {
      add(`${labeler}.timed`);
      add(`${labeler}.deciseconds`, Math.round(a.secondsOnTask * 10));
      add(`${labeler}.secondsBucket.${secondsBucketOf(a.secondsOnTask)}`);
    }
  } else if (t.state === 'skipped' && t.skip) {
    const labeler = `labeler.${counterSegment(t.skip.by)}`;
    add(`skipped.${t.skip.reason ?? 'unspecified'}`);
    add(`${labeler}.skipped`);
    const hour = hourOf(t.skip.at);
    if (hour) addDone(hour, t.skip.by);
  }
  return c;
}

/** Adds `delta` into `into` (in place), dropping keys that reach zero. */
export function addDelta(into: CounterDelta, delta: CounterDelta, times = 1): CounterDelta {
  for (const [key, n] of Object.entries(delta)) {
    into[key] = (into[key] ?? 0) + n * times;
    if (into[key] === 0) delete into[key];
  }
  return into;
}

/** What a write of `after` over `before` changes in the counters (either may be absent). */
export function counterDelta(before: Task | undefined, after: Task | undefined): CounterDelta {
  const delta: CounterDelta = {};
  if (after) addDelta(delta, taskContribution(after));
  if (before) addDelta(delta, taskContribution(before), -1);
  return delta;
}

/** The project counters (the figures the hot paths read) out of a full or partial set of counters. */
export function applyDelta(c: ProjectCounters, delta: CounterDelta): ProjectCounters {
  const next: ProjectCounters = { byState: { ...c.byState }, labeledReviewed: c.labeledReviewed };
  for (const [key, n] of Object.entries(delta)) {
    if (key === 'labeledReviewed') next.labeledReviewed += n;
    else if (key.startsWith('byState.')) next.byState[key.slice(8) as TaskState] += n;
  }
  return next;
}

/** The project counters within a read's values: a few lookups, not a walk of the (many) values. */
export function projectCountersOf(values: CounterDelta): ProjectCounters {
  return {
    byState: Object.fromEntries(taskStates.map((s) => [s, values[`byState.${s}`] ?? 0])) as Record<TaskState, number>,
    labeledReviewed: values.labeledReviewed ?? 0,
  };
}

/** Tasks a labeler could still be served or is working on (live, not yet done). */
export function remainingWork(c: ProjectCounters): number {
  return c.byState.new + c.byState.prelabeled + c.byState.assigned;
}

/** Live tasks: everything except removed and rejected blobs. */
export function liveTotal(c: ProjectCounters): number {
  return remainingWork(c) + c.byState.labeled + c.byState.skipped;
}

/** Per counter, `actual` minus `stored` (zero entries omitted): what a recount repaired. */
export function counterDrift(stored: CounterDelta, actual: CounterDelta): CounterDelta {
  return addDelta(addDelta({}, actual), stored, -1);
}

/** How labelers treated prelabels, from the counters `prefix` + outcome (zeros where nothing was counted). */
export function outcomesUnder(
  get: (key: string) => number | undefined,
  prefix: string,
): Record<PrelabelOutcome, number> {
  return Object.fromEntries(prelabelOutcomes.map((o) => [o, get(prefix + o) ?? 0])) as Record<PrelabelOutcome, number>;
}

/** How labelers treated one run's prelabels, out of the counters (zeros when none were reviewed yet). */
export function runOutcomes(counters: CounterDelta, runId: string): Record<PrelabelOutcome, number> {
  return outcomesUnder((key) => counters[key], `run.${counterSegment(runId)}.`);
}
