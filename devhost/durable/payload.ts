import type { RpcTypedData } from '../core/coreTypes';
import type { OrchestratorState } from './actions';

/** `\n\n$OutOfProcData$:` separates the message from the state JSON when an orchestrator fails. */
const outOfProcMarker = '\n\n$OutOfProcData$:';

export interface OrchestratorOutcome {
  state: OrchestratorState;
  /** Set when the orchestrator threw (the SDK still reports the actions it emitted). */
  error?: string;
}

/** Builds the trigger payload the Durable extension sends (`OrchestrationContextToString`) as one JSON string. */
export function orchestrationPayload(args: {
  playedHistory: string[];
  newEvents: string[];
  inputJson: string | null;
  instanceId: string;
  parentInstanceId: string | null;
}): RpcTypedData {
  const history = args.playedHistory.length
    ? args.newEvents.length
      ? `${args.playedHistory.join(',')},${args.newEvents.join(',')}`
      : args.playedHistory.join(',')
    : args.newEvents.join(',');
  // upperSchemaVersion 1 (V2 actions) without upperSchemaVersionNew: timers stay single, no SDK-driven HTTP polling.
  const text =
    `{"history":[${history}],"input":${args.inputJson ?? 'null'},"instanceId":${JSON.stringify(args.instanceId)},` +
    `"isReplaying":false,"parentInstanceId":${JSON.stringify(args.parentInstanceId)},"upperSchemaVersion":1,` +
    `"longRunningTimerIntervalDuration":"3.00:00:00","maximumShortTimerDuration":"6.00:00:00",` +
    `"defaultHttpAsyncRequestSleepTimeMillseconds":30000}`;
  return { string: text };
}

export function parseOrchestratorResult(returnValue: RpcTypedData | null | undefined): OrchestratorOutcome {
  const json = returnValue?.json ?? returnValue?.string;
  if (typeof json !== 'string') throw new Error('The orchestrator returned no state.');
  return { state: JSON.parse(json) as OrchestratorState };
}

/** An orchestrator that throws reports its state after the marker; anything else is a plain failure. */
export function parseOrchestratorError(err: unknown): OrchestratorOutcome {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.indexOf(outOfProcMarker);
  if (at >= 0) {
    const state = JSON.parse(message.slice(at + outOfProcMarker.length)) as OrchestratorState;
    return { state, error: state.error ?? message.slice(0, at) };
  }
  return { state: { isDone: false, actions: [] }, error: message };
}

/** Activity output → `TaskCompleted.Result` (JSON text), per the contract: never undefined. */
export function activityResultText(returnValue: RpcTypedData | null | undefined): string {
  if (!returnValue) return 'null';
  if (typeof returnValue.json === 'string') return returnValue.json;
  if (typeof returnValue.string === 'string') return JSON.stringify(returnValue.string);
  if (typeof returnValue.int === 'number') return String(returnValue.int);
  if (typeof returnValue.double === 'number') return String(returnValue.double);
  if (returnValue.bytes) return JSON.stringify(Buffer.from(returnValue.bytes).toString('base64'));
  return 'null';
}
