import {
  ActionType,
  actionSignature,
  encodeActionInput,
  flattenActions,
  retryDelayMs,
  takesTaskId,
  type OrchestratorAction,
} from './actions';
import {
  EventType,
  OrchestrationStatusCode,
  completedTaskId,
  historyEvent,
  isFailure,
  type FailureDetails,
  type HistoryEvent,
} from './historyEvents';
import type { OrchestratorOutcome } from './payload';
import { newInstanceRow, timerMessage } from './records';
import type { InstanceRow, NewMessage, RetryRow } from './store';

/**
 * What one orchestrator episode must write: the pure half of the engine. Given the instance, the events the
 * episode delivered and what the SDK answered, it numbers the new actions exactly as the SDK does, checks them
 * against the recorded ones, and lists every record to write. The engine commits the plan in one transaction.
 */
export interface EpisodePlan {
  /** The instance after the episode (status, output, custom status, id counter, action log). */
  row: InstanceRow;
  /** Delivered events, then the events for newly scheduled work, then the closing events. */
  appended: HistoryEvent[];
  messages: NewMessage[];
  workItems: Array<{ taskId: number; name: string; input: string }>;
  children: InstanceRow[];
  retries: Map<number, RetryRow>;
  retryWrites: RetryRow[];
  retryDeletes: RetryRow[];
  /** Ids of timers the orchestrator cancelled (Task.any losers): their TimerFired messages are dropped. */
  timerCancels: number[];
  /** Set when the orchestrator continued as new: the next execution's input. */
  continueWith?: string;
  /** Set when the execution ended (completed or failed). */
  finished?: { succeeded: boolean; details?: FailureDetails };
}

class NonDeterminismError extends Error {}
class UnsupportedActionError extends Error {}

export function planEpisode(args: {
  row: InstanceRow;
  retries: Map<number, RetryRow>;
  newEvents: HistoryEvent[];
  outcome: OrchestratorOutcome;
  now: string;
}): EpisodePlan {
  const { outcome, now } = args;
  const plan: EpisodePlan = {
    row: { ...args.row, actions: [...args.row.actions] },
    appended: [],
    messages: [],
    workItems: [],
    children: [],
    retries: new Map(args.retries),
    retryWrites: [],
    retryDeletes: [],
    timerCancels: [],
  };
  const row = plan.row;
  let failure: { message: string; details?: FailureDetails } | undefined;
  const scheduled: HistoryEvent[] = [];

  if (outcome.error !== undefined) {
    failure = {
      message: `Orchestrator function '${row.name}' failed: ${outcome.error}`,
      details: {
        ErrorType: outcome.state.failureDetails?.ErrorType ?? 'OrchestratorFailure',
        ErrorMessage: outcome.state.failureDetails?.ErrorMessage ?? outcome.error,
        StackTrace: outcome.state.failureDetails?.StackTrace ?? null,
      },
    };
  } else {
    try {
      const flat = flattenActions(outcome.state);
      checkDeterminism(row, flat);
      for (let i = row.actions.length; i < flat.length; i++) {
        const a = flat[i]!;
        const id = takesTaskId(a.actionType) ? row.nextEventId++ : -1;
        row.actions.push({ sig: actionSignature(a), id });
        scheduleAction(plan, scheduled, a, id, now);
        if (a.actionType === ActionType.ContinueAsNew) plan.continueWith = encodeActionInput(a);
      }
      // A cancelled timer (the loser of Task.any) is dropped so it neither fires nor keeps the instance busy.
      flat.forEach((a, i) => {
        const rec = row.actions[i]!;
        if (a.actionType === ActionType.CreateTimer && a.isCanceled && rec.id >= 0 && !rec.sig.endsWith('!')) {
          rec.sig += '!';
          plan.timerCancels.push(rec.id);
        }
      });
      advanceRetries(plan, scheduled, args.newEvents, now);
    } catch (err) {
      if (!(err instanceof NonDeterminismError || err instanceof UnsupportedActionError)) throw err;
      failure = { message: err.message, details: { ErrorType: err.constructor.name, ErrorMessage: err.message } };
    }
  }

  const state = outcome.state;
  if (state.customStatus !== undefined) row.customStatus = JSON.stringify(state.customStatus);
  row.lastUpdatedTime = now;
  const closing: HistoryEvent[] = [historyEvent(EventType.OrchestratorCompleted, now)];
  if (failure) {
    row.runtimeStatus = 'Failed';
    row.output = JSON.stringify(failure.message);
    closing.push(
      historyEvent(EventType.ExecutionCompleted, now, {
        OrchestrationStatus: OrchestrationStatusCode.Failed,
        Result: row.output,
        FailureDetails: failure.details ?? null,
      }),
    );
    plan.finished = { succeeded: false, details: failure.details };
    plan.continueWith = undefined;
  } else if (state.isDone && plan.continueWith !== undefined) {
    row.runtimeStatus = 'ContinuedAsNew';
  } else if (state.isDone) {
    row.runtimeStatus = 'Completed';
    row.output = state.output === undefined ? 'null' : JSON.stringify(state.output);
    closing.push(
      historyEvent(EventType.ExecutionCompleted, now, {
        OrchestrationStatus: OrchestrationStatusCode.Completed,
        Result: row.output,
      }),
    );
    plan.finished = { succeeded: true };
  } else {
    row.runtimeStatus = 'Running';
  }
  plan.appended = [...args.newEvents, ...scheduled, ...closing];
  return plan;
}

function checkDeterminism(row: InstanceRow, flat: OrchestratorAction[]): void {
  const recorded = row.actions;
  const n = Math.min(recorded.length, flat.length);
  for (let i = 0; i < n; i++) {
    const sig = actionSignature(flat[i]!);
    const was = recorded[i]!.sig.replace(/!$/, '');
    if (sig !== was) {
      throw new NonDeterminismError(
        `Non-deterministic workflow detected: action #${i} was ${was} when the history was recorded, but the ` +
          `orchestrator '${row.name}' now emits ${sig}. Orchestrator code must replay the same actions in the ` +
          `same order.`,
      );
    }
  }
  if (flat.length < recorded.length) {
    throw new NonDeterminismError(
      `Non-deterministic workflow detected: the history records ${recorded.length} actions but the orchestrator ` +
        `'${row.name}' now emits only ${flat.length}.`,
    );
  }
}

function childRow(
  parent: InstanceRow,
  taskId: number,
  childId: string,
  name: string,
  version: string | null,
  input: string,
) {
  return newInstanceRow(childId, name, version, input, {
    instanceId: parent.instanceId,
    executionId: parent.executionId,
    taskId,
  });
}

function scheduleAction(plan: EpisodePlan, scheduled: HistoryEvent[], a: OrchestratorAction, id: number, now: string) {
  const row = plan.row;
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const input = encodeActionInput(a);
      const name = a.functionName ?? '';
      scheduled.push(historyEvent(EventType.TaskScheduled, now, { EventId: id, Name: name, Input: input }));
      plan.workItems.push({ taskId: id, name, input });
      if (a.actionType === ActionType.CallActivityWithRetry && a.retryOptions) {
        trackRetry(plan, { originId: id, kind: 'activity', name, input, sub: null, a });
      }
      return;
    }
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const childId = a.instanceId || `${row.instanceId}:${id}`;
      const input = JSON.stringify(a.input ?? null);
      const name = a.functionName ?? '';
      scheduled.push(
        historyEvent(EventType.SubOrchestrationInstanceCreated, now, {
          EventId: id,
          Name: name,
          InstanceId: childId,
          Input: input,
        }),
      );
      plan.children.push(childRow(row, id, childId, name, a.version ?? null, input));
      if (a.actionType === ActionType.CallSubOrchestratorWithRetry && a.retryOptions) {
        trackRetry(plan, { originId: id, kind: 'subOrchestration', name, input, sub: childId, a });
      }
      return;
    }
    case ActionType.CreateTimer: {
      const fireAt = a.fireAt ?? now;
      scheduled.push(historyEvent(EventType.TimerCreated, now, { EventId: id, FireAt: fireAt }));
      if (!a.isCanceled) plan.messages.push(timerMessage(row, id, fireAt));
      return;
    }
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return;
    default:
      throw new UnsupportedActionError(
        `devhost does not support the orchestrator action ${ActionType[a.actionType] ?? a.actionType} ` +
          `(durable entities and callHttp are not implemented).`,
      );
  }
}

function trackRetry(
  plan: EpisodePlan,
  t: {
    originId: number;
    kind: RetryRow['kind'];
    name: string;
    input: string;
    sub: string | null;
    a: OrchestratorAction;
  },
): void {
  const r: RetryRow = {
    instanceId: plan.row.instanceId,
    executionId: plan.row.executionId,
    originId: t.originId,
    kind: t.kind,
    name: t.name,
    input: t.input,
    subInstanceId: t.sub,
    options: t.a.retryOptions!,
    attemptsMade: 1,
    currentTaskId: t.originId,
    timerId: -1,
  };
  plan.retries.set(r.originId, r);
  plan.retryWrites.push(r);
}

/**
 * Mirrors the SDK's RetryableTask: a failed attempt is followed by a retry timer (even after the last attempt,
 * which the SDK still waits for), and when that timer fires the next attempt is scheduled if attempts remain. Ids
 * are taken after the episode's new actions: the engine delivers the triggering event last in its episode.
 */
function advanceRetries(plan: EpisodePlan, scheduled: HistoryEvent[], newEvents: HistoryEvent[], now: string): void {
  if (plan.retries.size === 0) return;
  const row = plan.row;
  const save = (r: RetryRow) => {
    plan.retries.set(r.originId, r);
    plan.retryWrites.push(r);
  };
  const drop = (r: RetryRow) => {
    plan.retries.delete(r.originId);
    plan.retryDeletes.push(r);
  };
  for (const e of newEvents) {
    const id = completedTaskId(e);
    if (id === undefined) continue;
    for (const r of [...plan.retries.values()]) {
      const succeeded =
        (e.EventType === EventType.TaskCompleted || e.EventType === EventType.SubOrchestrationInstanceCompleted) &&
        r.currentTaskId === id;
      if (succeeded) {
        drop(r);
      } else if (isFailure(e) && r.currentTaskId === id) {
        const timerId = row.nextEventId++;
        const last = r.attemptsMade >= r.options.maxNumberOfAttempts;
        const fireAt = new Date(Date.parse(now) + (last ? 0 : retryDelayMs(r.options, r.attemptsMade))).toISOString();
        scheduled.push(historyEvent(EventType.TimerCreated, now, { EventId: timerId, FireAt: fireAt }));
        plan.messages.push(timerMessage(row, timerId, fireAt));
        save({ ...r, currentTaskId: -1, timerId });
      } else if (e.EventType === EventType.TimerFired && r.timerId === id) {
        if (r.attemptsMade >= r.options.maxNumberOfAttempts) {
          drop(r);
          continue;
        }
        const attemptId = row.nextEventId++;
        if (r.kind === 'activity') {
          scheduled.push(
            historyEvent(EventType.TaskScheduled, now, { EventId: attemptId, Name: r.name, Input: r.input }),
          );
          plan.workItems.push({ taskId: attemptId, name: r.name, input: r.input });
        } else {
          const childId = r.subInstanceId ?? `${row.instanceId}:${attemptId}`;
          scheduled.push(
            historyEvent(EventType.SubOrchestrationInstanceCreated, now, {
              EventId: attemptId,
              Name: r.name,
              InstanceId: childId,
              Input: r.input,
            }),
          );
          plan.children.push(childRow(row, attemptId, childId, r.name, null, r.input));
        }
        save({ ...r, attemptsMade: r.attemptsMade + 1, currentTaskId: attemptId, timerId: -1 });
      }
    }
  }
}
