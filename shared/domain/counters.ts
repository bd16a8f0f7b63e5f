import { taskStates, type Task, type TaskState } from './task';

/**
 * Per-project counters, maintained on every task write so dashboards and the training trigger never scan.
 * `byState` counts every task record; `labeledReviewed` counts labeled tasks whose labels came from reviewing a
 * model prelabel (the rest of `byState.labeled` was labeled by hand).
 */
export interface ProjectCounters {
  byState: Record<TaskState, number>;
  labeledReviewed: number;
}

export function emptyCounters(): ProjectCounters {
  return {
    byState: Object.fromEntries(taskStates.map((s) => [s, 0])) as Record<TaskState, number>,
    labeledReviewed: 0,
  };
}

/** Counter increments, keyed by counter path (`byState.new`, `labeledReviewed`); zero entries omitted. */
export type CounterDelta = Record<string, number>;

function reviewed(t: Task | undefined): boolean {
  return t?.state === 'labeled' && t.annotation?.prelabelOutcome !== undefined;
}

/** What a write of `after` over `before` changes in the counters (either may be absent). */
export function counterDelta(before: Task | undefined, after: Task | undefined): CounterDelta {
  const delta: CounterDelta = {};
  const add = (key: string, n: number) => {
    delta[key] = (delta[key] ?? 0) + n;
    if (delta[key] === 0) delete delta[key];
  };
  if (before) add(`byState.${before.state}`, -1);
  if (after) add(`byState.${after.state}`, 1);
  if (reviewed(before)) add('labeledReviewed', -1);
  if (reviewed(after)) add('labeledReviewed', 1);
  return delta;
}

export function applyDelta(c: ProjectCounters, delta: CounterDelta): ProjectCounters {
  const next: ProjectCounters = { byState: { ...c.byState }, labeledReviewed: c.labeledReviewed };
  for (const [key, n] of Object.entries(delta)) {
    if (key === 'labeledReviewed') next.labeledReviewed += n;
    else if (key.startsWith('byState.')) next.byState[key.slice(8) as TaskState] += n;
  }
  return next;
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
export function counterDrift(stored: ProjectCounters, actual: ProjectCounters): CounterDelta {
  const drift: CounterDelta = {};
  for (const state of taskStates) {
    const n = actual.byState[state] - stored.byState[state];
    if (n !== 0) drift[`byState.${state}`] = n;
  }
  const reviewedDrift = actual.labeledReviewed - stored.labeledReviewed;
  if (reviewedDrift !== 0) drift.labeledReviewed = reviewedDrift;
  return drift;
}
