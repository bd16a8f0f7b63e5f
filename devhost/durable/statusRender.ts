import { EventType, OrchestrationStatusCode, type HistoryEvent } from './historyEvents';
import type { InstanceRow } from './store';

export interface RenderOptions {
  showHistory: boolean;
  showHistoryOutput: boolean;
  showInput: boolean;
}

/** Azure's timestamps in status JSON have whole seconds when the store has no sub-second precision; we keep ms. */
function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The status object of the management API and DurableClient.getStatus. */
export function renderStatus(row: InstanceRow, history: HistoryEvent[] | undefined, o: RenderOptions) {
  const status: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.runtimeStatus,
    input: o.showInput ? parseJson(row.input) : null,
    customStatus: parseJson(row.customStatus),
    output: parseJson(row.output),
    createdTime: row.createdTime,
    lastUpdatedTime: row.lastUpdatedTime,
  };
  if (o.showHistory && history) status.historyEvents = renderHistory(history, o);
  return status;
}

const orchestrationStatusNames: Record<number, string> = {
  [OrchestrationStatusCode.Running]: 'Running',
  [OrchestrationStatusCode.Completed]: 'Completed',
  [OrchestrationStatusCode.ContinuedAsNew]: 'ContinuedAsNew',
  [OrchestrationStatusCode.Failed]: 'Failed',
  [OrchestrationStatusCode.Terminated]: 'Terminated',
};

/**
 * Renders stored history the way the Durable extension does (DurableClient.GetDurableOrchestrationStatusAsync):
 * string event types, no OrchestratorStarted/Completed, scheduling events folded into their outcome.
 */
export function renderHistory(events: HistoryEvent[], o: RenderOptions): Record<string, unknown>[] {
  const scheduled = new Map<number, { event: HistoryEvent; index: number }>();
  const out: Array<Record<string, unknown> | undefined> = [];
  for (const e of events) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    const r: Record<string, unknown> = { EventType: EventType[e.EventType] ?? String(e.EventType) };
    switch (e.EventType) {
      case EventType.ExecutionStarted:
        r.FunctionName = e.Name;
        if (o.showInput) r.Input = parseJson(e.Input);
        break;
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        r.Name = e.Name;
        if (e.InstanceId) r.InstanceId = e.InstanceId;
        if (o.showInput) r.Input = parseJson(e.Input);
        scheduled.set(e.EventId, { event: e, index: out.length });
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = scheduled.get(e.TaskScheduledId ?? -1);
        if (s) {
          out[s.index] = undefined;
          scheduled.delete(e.TaskScheduledId!);
          r.FunctionName = s.event.Name;
          r.ScheduledTime = s.event.Timestamp;
          if (o.showInput) r.Input = parseJson(s.event.Input);
        }
        if (e.Result !== undefined && o.showHistoryOutput) r.Result = parseJson(e.Result);
        if (e.Reason !== undefined) r.Reason = e.Reason;
        if (e.Details !== undefined) r.Details = e.Details;
        if (e.FailureDetails) r.FailureDetails = e.FailureDetails;
        break;
      }
      case EventType.TimerCreated:
      case EventType.TimerFired:
        r.FireAt = e.FireAt;
        break;
      case EventType.EventRaised:
        r.Name = e.Name;
        if (o.showInput) r.Input = parseJson(e.Input);
        break;
      case EventType.ExecutionCompleted:
        r.OrchestrationStatus = orchestrationStatusNames[e.OrchestrationStatus ?? -1] ?? e.OrchestrationStatus;
        if (o.showHistoryOutput) r.Result = parseJson(e.Result);
        if (e.FailureDetails) r.FailureDetails = e.FailureDetails;
        break;
      case EventType.ExecutionTerminated:
        if (o.showInput) r.Input = parseJson(e.Input);
        break;
      default:
        break;
    }
    r.Timestamp = e.Timestamp;
    out.push(r);
  }
  return out.filter((r): r is Record<string, unknown> => r !== undefined);
}
