/** Orchestrator actions as returned by durable-functions in `OrchestratorState.actions` (see the contract doc). */
export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface OrchestratorAction {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptions;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: OrchestratorAction[];
}

export interface OrchestratorState {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  /** The SDK serializes TaskFailedError details in the wire (PascalCase) form. */
  failureDetails?: { ErrorType?: string; ErrorMessage?: string; StackTrace?: string };
}

/** Depth-first flattening of compound actions: the order in which the SDK assigns task ids. */
export function flattenActions(state: OrchestratorState): OrchestratorAction[] {
  const out: OrchestratorAction[] = [];
  const visit = (a: OrchestratorAction) => {
    if (a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) {
      for (const child of a.compoundActions ?? []) visit(child);
    } else {
      out.push(a);
    }
  };
  for (const group of state.actions ?? []) for (const a of group ?? []) visit(a);
  return out;
}

/** Actions that consume a task id from the per-execution counter. */
export function takesTaskId(type: ActionType): boolean {
  return type !== ActionType.WaitForExternalEvent && type !== ActionType.ContinueAsNew;
}

/** What must stay identical across replays; a change means the orchestrator is not deterministic. */
export function actionSignature(a: OrchestratorAction): string {
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return `${ActionType[a.actionType]}(${a.functionName ?? ''})`;
    case ActionType.WaitForExternalEvent:
      return `WaitForExternalEvent(${a.externalEventName ?? ''})`;
    default:
      return ActionType[a.actionType] ?? String(a.actionType);
  }
}

/** Inputs of activities and continueAsNew are pre-encoded by the SDK when they are strings; others are raw values. */
export function encodeActionInput(a: OrchestratorAction): string {
  const preEncoded =
    a.actionType === ActionType.CallActivity ||
    a.actionType === ActionType.CallActivityWithRetry ||
    a.actionType === ActionType.ContinueAsNew;
  if (preEncoded && typeof a.input === 'string') return a.input;
  return JSON.stringify(a.input ?? null);
}

/** Delay before retry attempt `attempt + 1`, as DTFx RetryInterceptor computes it. */
export function retryDelayMs(options: RetryOptions, attemptsMade: number): number {
  const backoff = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(backoff, attemptsMade - 1);
  if (options.maxRetryIntervalInMilliseconds && options.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  }
  return Math.max(0, delay);
}
