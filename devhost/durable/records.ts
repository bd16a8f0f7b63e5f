import { randomUUID } from 'node:crypto';
import { EventType, historyEvent, type FailureDetails, type HistoryEvent } from './historyEvents';
import type { InstanceRow, NewMessage, RuntimeStatus } from './store';

/** Factories for the records the engine writes: instance rows, start/timer/parent messages, replay history. */

const terminal: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export function isTerminal(status: RuntimeStatus): boolean {
  return terminal.has(status);
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function newExecutionId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * The SDK never reads scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated) nor
 * OrchestratorCompleted: it matches completions by id. Leaving them out of the replay payload halves what a large
 * fan-out replays, without changing what the orchestrator sees. The store keeps the full history.
 */
const unreadBySdk: ReadonlySet<EventType> = new Set([
  EventType.TaskScheduled,
  EventType.TimerCreated,
  EventType.SubOrchestrationInstanceCreated,
  EventType.OrchestratorCompleted,
]);

/** History events as replayed: serialized once, marked played, without the events the SDK ignores. */
export function playedHistory(events: HistoryEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) if (!unreadBySdk.has(e.EventType)) out.push(JSON.stringify({ ...e, IsPlayed: true }));
  return out;
}

export function newInstanceRow(
  instanceId: string,
  name: string,
  version: string | null,
  inputJson: string | null,
  parent: { instanceId: string; executionId: string; taskId: number } | null,
): InstanceRow {
  const now = nowIso();
  return {
    instanceId,
    executionId: newExecutionId(),
    name,
    version,
    runtimeStatus: 'Pending',
    input: inputJson,
    output: null,
    customStatus: null,
    createdTime: now,
    lastUpdatedTime: now,
    parentInstanceId: parent?.instanceId ?? null,
    parentExecutionId: parent?.executionId ?? null,
    parentTaskId: parent?.taskId ?? null,
    nextEventId: 0,
    actions: [],
  };
}

/** The row of the next execution after continue-as-new: same instance, fresh id counter and action log. */
export function continuedRow(row: InstanceRow, inputJson: string): InstanceRow {
  return {
    ...row,
    executionId: newExecutionId(),
    runtimeStatus: 'ContinuedAsNew',
    input: inputJson,
    output: null,
    nextEventId: 0,
    actions: [],
    lastUpdatedTime: nowIso(),
  };
}

export function startMessage(row: InstanceRow): NewMessage {
  return {
    instanceId: row.instanceId,
    executionId: row.executionId,
    visibleAt: 0,
    kind: 'start',
    event: historyEvent(EventType.ExecutionStarted, nowIso(), {
      Name: row.name,
      Version: row.version,
      Input: row.input,
      OrchestrationInstance: { InstanceId: row.instanceId, ExecutionId: row.executionId },
      ParentInstance:
        row.parentInstanceId && row.parentExecutionId && row.parentTaskId !== null
          ? {
              Name: '',
              OrchestrationInstance: { InstanceId: row.parentInstanceId, ExecutionId: row.parentExecutionId },
              TaskScheduleId: row.parentTaskId,
            }
          : null,
    }),
  };
}

/** A TimerFired waiting in the message table until `fireAt`. */
export function timerMessage(row: InstanceRow, timerId: number, fireAt: string): NewMessage {
  return {
    instanceId: row.instanceId,
    executionId: row.executionId,
    visibleAt: Date.parse(fireAt),
    kind: 'completion',
    event: historyEvent(EventType.TimerFired, fireAt, { TimerId: timerId, FireAt: fireAt }),
  };
}

/** The sub-orchestration's outcome as its parent receives it, or undefined for a top-level instance. */
export function parentNotification(
  row: InstanceRow,
  succeeded: boolean,
  resultJson: string,
  details?: FailureDetails,
): NewMessage | undefined {
  if (!row.parentInstanceId || row.parentExecutionId === null || row.parentTaskId === null) return undefined;
  const event = succeeded
    ? historyEvent(EventType.SubOrchestrationInstanceCompleted, nowIso(), {
        TaskScheduledId: row.parentTaskId,
        Result: resultJson,
      })
    : historyEvent(EventType.SubOrchestrationInstanceFailed, nowIso(), {
        TaskScheduledId: row.parentTaskId,
        Reason: `Sub-orchestration '${row.name}' (${row.instanceId}) failed`,
        Details: resultJson,
        FailureDetails: details ?? { ErrorType: 'OrchestrationFailure', ErrorMessage: resultJson },
      });
  return {
    instanceId: row.parentInstanceId,
    executionId: row.parentExecutionId,
    visibleAt: 0,
    kind: 'completion',
    event,
  };
}
