import { randomUUID } from 'node:crypto';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry } from '../core/registry';
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
import {
  activityResultText,
  orchestrationPayload,
  parseOrchestratorError,
  parseOrchestratorResult,
  type OrchestratorOutcome,
} from './payload';
import type { DurableStore, InstanceRow, MessageRow, NewMessage, RetryRow, RuntimeStatus, WorkItemRow } from './store';
import { WorkQueue } from './workQueue';

export interface EngineOptions {
  store: DurableStore;
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
  logger: Logger;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  /** Most events handed to one orchestrator episode; more wait for the next one. */
  maxEventsPerEpisode?: number;
}

/** In-memory view of an instance between episodes; the store stays the source of truth. */
interface CachedInstance {
  row: InstanceRow;
  /** History of the current execution, serialized with `IsPlayed: true`, ready to splice into the payload. */
  played: string[];
  historySeq: number;
  retries: Map<number, RetryRow>;
}

export type StartResult = { ok: true; instance: InstanceRow } | { ok: false; reason: 'conflict'; instance: InstanceRow };
export type SignalResult = 'accepted' | 'notFound' | 'gone';

const terminal: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export function isTerminal(status: RuntimeStatus): boolean {
  return terminal.has(status);
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

function playedHistory(events: HistoryEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) if (!unreadBySdk.has(e.EventType)) out.push(JSON.stringify({ ...e, IsPlayed: true }));
  return out;
}

function nowIso(): string {
  return new Date().toISOString();
}

function newExecutionId(): string {
  return randomUUID().replace(/-/g, '');
}

class NonDeterminismError extends Error {}
class UnsupportedActionError extends Error {}

/**
 * Schedules and records orchestrations; the durable-functions SDK's own replay engine runs them.
 *
 * Each orchestrator episode takes the ready messages of one instance, replays its history plus those events through
 * the app's orchestrator function, assigns task ids to the new actions exactly as the SDK numbers them, and commits
 * history, outgoing messages and work items in one SQLite transaction.
 */
export class DurableEngine {
  readonly #o: EngineOptions;
  readonly #cache = new Map<string, CachedInstance>();
  /** Instances with (possibly) ready messages, and since when. */
  readonly #dirty = new Map<string, number>();
  /** Activity work items queued or running, per instance. */
  readonly #inflight = new Map<string, number>();
  /** Duration of each instance's last episode: the replay cost a batching delay is weighed against. */
  readonly #episodeMs = new Map<string, number>();
  #pumpScheduled = false;
  #pumpTimer: NodeJS.Timeout | undefined;
  readonly #inEpisode = new Set<string>();
  readonly #activities: WorkQueue<WorkItemRow>;
  #orchestrationsRunning = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAt = Infinity;
  #stopped = true;
  #idle: Array<() => void> = [];
  readonly #maxEvents: number;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#maxEvents = options.maxEventsPerEpisode ?? 1000;
    this.#activities = new WorkQueue(options.maxConcurrentActivities, (w) => this.#runActivity(w));
  }

  #queueActivity(w: WorkItemRow): void {
    this.#inflight.set(w.instanceId, (this.#inflight.get(w.instanceId) ?? 0) + 1);
    this.#activities.push(w);
  }

  get store(): DurableStore {
    return this.#o.store;
  }

  /** Resumes everything the store holds: pending work items, ready messages and future timers. */
  start(): void {
    this.#stopped = false;
    for (const w of this.#o.store.allWorkItems()) this.#queueActivity(w);
    for (const id of this.#o.store.readyInstances(Date.now())) this.#markDirty(id);
    this.#scheduleWakeFromStore();
  }

  /** Stops taking new work and waits for running episodes and activities to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#activities.pause();
    await this.#activities.drain();
    if (this.#orchestrationsRunning > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  // ---------------------------------------------------------------- client operations

  startNew(name: string, instanceId: string | undefined, inputJson: string | null, version?: string): StartResult {
    const id = instanceId || randomUUID().replace(/-/g, '');
    const store = this.#o.store;
    const result = store.transaction((): StartResult => {
      const existing = store.getInstance(id);
      // As on Azure: an id may be reused once its previous run is over, never while it runs.
      if (existing && !isTerminal(existing.runtimeStatus)) return { ok: false, reason: 'conflict', instance: existing };
      if (existing) store.deleteInstance(id);
      const row = this.#newInstanceRow(id, name, version ?? null, inputJson, null);
      store.saveInstance(row);
      store.addMessage(this.#startMessage(row));
      return { ok: true, instance: row };
    });
    if (result.ok) {
      this.#cache.delete(id);
      this.#markDirty(id);
    }
    return result;
  }

  raiseEvent(instanceId: string, name: string, dataJson: string | null): SignalResult {
    const store = this.#o.store;
    const outcome = store.transaction((): SignalResult => {
      const status = store.getRuntimeStatus(instanceId);
      if (!status) return 'notFound';
      if (isTerminal(status)) return 'gone';
      store.addMessage({
        instanceId,
        executionId: null,
        visibleAt: 0,
        kind: 'event',
        event: historyEvent(EventType.EventRaised, nowIso(), { Name: name, Input: dataJson }),
      });
      return 'accepted';
    });
    if (outcome === 'accepted') this.#markDirty(instanceId);
    return outcome;
  }

  terminate(instanceId: string, reason: string): SignalResult {
    const store = this.#o.store;
    const outcome = store.transaction((): SignalResult => {
      const status = store.getRuntimeStatus(instanceId);
      if (!status) return 'notFound';
      if (isTerminal(status)) return 'gone';
      store.addMessage({
        instanceId,
        executionId: null,
        visibleAt: 0,
        kind: 'terminate',
        event: historyEvent(EventType.ExecutionTerminated, nowIso(), { Input: JSON.stringify(reason) }),
      });
      return 'accepted';
    });
    if (outcome === 'accepted') this.#markDirty(instanceId);
    return outcome;
  }

  /** Deletes an instance and its history; only finished instances can be purged, as on Azure. */
  purge(instanceId: string): number {
    const store = this.#o.store;
    const deleted = store.transaction(() => {
      const row = store.getInstance(instanceId);
      if (!row || !isTerminal(row.runtimeStatus)) return 0;
      store.deleteInstance(instanceId);
      return 1;
    });
    if (deleted) this.#cache.delete(instanceId);
    return deleted;
  }

  /** Resolves when the engine has nothing runnable right now (used by tests and benchmarks). */
  isBusy(): boolean {
    return this.#dirty.size > 0 || this.#orchestrationsRunning > 0 || this.#activities.size > 0;
  }

  // ---------------------------------------------------------------- scheduling

  #markDirty(instanceId: string): void {
    if (!this.#dirty.has(instanceId)) this.#dirty.set(instanceId, Date.now());
    this.#schedulePump();
  }

  /**
   * Episodes start from setImmediate, after the I/O callbacks already waiting: a burst of raised events or
   * activity completions then reaches the orchestrator in one replay instead of one replay each.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = Date.now();
    let retryAt = Infinity;
    for (const [id, since] of this.#dirty) {
      if (this.#orchestrationsRunning >= this.#o.maxConcurrentOrchestrations) return;
      if (this.#inEpisode.has(id)) continue;
      // While this instance still has activities in flight, let completions accumulate for about as long as its
      // last replay took (at most 100 ms): replay cost grows with history, so fan-in replays a few large batches.
      const readyAt = (this.#inflight.get(id) ?? 0) > 0 ? since + Math.min(this.#episodeMs.get(id) ?? 0, 100) : since;
      if (readyAt > now) {
        retryAt = Math.min(retryAt, readyAt);
        continue;
      }
      this.#dirty.delete(id);
      this.#inEpisode.add(id);
      this.#orchestrationsRunning++;
      const started = performance.now();
      void this.#runEpisodeSafely(id).finally(() => {
        this.#episodeMs.set(id, performance.now() - started);
        this.#inEpisode.delete(id);
        this.#orchestrationsRunning--;
        if (this.#orchestrationsRunning === 0 && this.#idle.length) for (const f of this.#idle.splice(0)) f();
        this.#schedulePump();
      });
    }
    if (retryAt < Infinity && !this.#pumpTimer) {
      this.#pumpTimer = setTimeout(() => {
        this.#pumpTimer = undefined;
        this.#pump();
      }, retryAt - now);
    }
  }

  async #runEpisodeSafely(instanceId: string): Promise<void> {
    try {
      const more = await this.#runEpisode(instanceId);
      if (more && !this.#dirty.has(instanceId)) this.#dirty.set(instanceId, 0);
    } catch (err) {
      // A store or host error (not an orchestrator failure): drop the cache so the next attempt reloads, retry later.
      this.#cache.delete(instanceId);
      this.#o.logger.error(`Durable episode for ${instanceId} failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.#scheduleWake(Date.now() + 1000);
    }
  }

  #scheduleWakeFromStore(): void {
    const next = this.#o.store.nextVisibleAfter(Date.now());
    if (next !== undefined) this.#scheduleWake(next);
  }

  #scheduleWake(at: number): void {
    if (this.#stopped || at >= this.#wakeAt) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    // setTimeout overflows past ~24.8 days; waking early is harmless.
    const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    this.#wakeTimer = setTimeout(() => this.#onWake(), delay);
  }

  #onWake(): void {
    this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
    for (const id of this.#o.store.readyInstances(Date.now())) this.#markDirty(id);
    this.#scheduleWakeFromStore();
  }

  // ---------------------------------------------------------------- activities

  async #runActivity(w: WorkItemRow): Promise<void> {
    const fn = this.#o.registry.get(w.name);
    let completion: HistoryEvent;
    if (!fn || fn.trigger.type !== 'activityTrigger') {
      completion = this.#taskFailed(w.taskId, w.name, new Error(`The activity function '${w.name}' does not exist.`));
    } else {
      try {
        const result = await this.#o.invoker.invoke(fn, { trigger: { string: w.input } });
        completion = historyEvent(EventType.TaskCompleted, nowIso(), {
          TaskScheduledId: w.taskId,
          Result: activityResultText(result.response.returnValue),
        });
      } catch (err) {
        completion = this.#taskFailed(w.taskId, w.name, err);
      }
    }
    if (this.#stopped) return; // the work item stays in the store and runs again after restart
    const left = (this.#inflight.get(w.instanceId) ?? 1) - 1;
    if (left > 0) this.#inflight.set(w.instanceId, left);
    else this.#inflight.delete(w.instanceId);
    const store = this.#o.store;
    store.transaction(() => {
      store.deleteWorkItem(w.id);
      store.addMessage({
        instanceId: w.instanceId,
        executionId: w.executionId,
        visibleAt: 0,
        kind: 'completion',
        event: completion,
      });
    });
    this.#markDirty(w.instanceId);
  }

  #taskFailed(taskId: number, name: string, err: unknown): HistoryEvent {
    const error = err instanceof Error ? err : new Error(String(err));
    return historyEvent(EventType.TaskFailed, nowIso(), {
      TaskScheduledId: taskId,
      Reason: `Activity function '${name}' failed: ${error.message}`,
      Details: error.stack ?? null,
      FailureDetails: { ErrorType: error.name, ErrorMessage: error.message, StackTrace: error.stack ?? null },
    });
  }

  // ---------------------------------------------------------------- orchestrator episodes

  #load(instanceId: string): CachedInstance | undefined {
    const cached = this.#cache.get(instanceId);
    if (cached) return cached;
    const store = this.#o.store;
    const row = store.getInstance(instanceId);
    if (!row) return undefined;
    const history = store.loadHistory(instanceId, row.executionId);
    const c: CachedInstance = {
      row,
      played: playedHistory(history),
      historySeq: store.nextHistorySeq(instanceId),
      retries: new Map(store.retries(instanceId, row.executionId).map((r) => [r.originId, r])),
    };
    this.#cache.set(instanceId, c);
    return c;
  }

  /** Runs one episode. Returns true when ready messages were left for a later episode. */
  async #runEpisode(instanceId: string): Promise<boolean> {
    const store = this.#o.store;
    const c = this.#load(instanceId);
    const messages = store.readyMessages(instanceId, Date.now(), this.#maxEvents);
    if (!c) {
      // Messages for a purged instance: nothing can use them.
      if (messages.length) store.transaction(() => messages.forEach((m) => store.deleteMessage(m.id)));
      return false;
    }
    if (messages.length === 0) return false;

    // A start (new instance, restart or continue-as-new) opens a fresh execution: handle it before anything else.
    const start = messages.find((m) => m.kind === 'start');
    const ordered = start ? [start, ...messages.filter((m) => m !== start)] : messages;

    const consumed: number[] = [];
    const batch: HistoryEvent[] = [];
    let terminateEvent: HistoryEvent | undefined;
    let leftBehind = messages.length === this.#maxEvents;
    for (const m of ordered) {
      if (m.kind === 'start') {
        if (m !== start) {
          leftBehind = true; // a second start waits for the next episode
          break;
        }
        this.#beginExecution(c, m);
        consumed.push(m.id);
        batch.push(m.event);
        continue;
      }
      if (isTerminal(c.row.runtimeStatus) || c.row.runtimeStatus === 'ContinuedAsNew') {
        consumed.push(m.id); // events for a finished instance are dropped, as the extension does
        continue;
      }
      if (m.kind === 'completion' && m.executionId !== c.row.executionId) {
        consumed.push(m.id); // a late completion from an earlier execution
        continue;
      }
      if (m.kind === 'terminate') {
        if (batch.length > 0) {
          leftBehind = true;
          break;
        }
        consumed.push(m.id);
        terminateEvent = m.event;
        break;
      }
      consumed.push(m.id);
      batch.push(m.event);
      // The SDK numbers a retry's timer or next attempt when it reads this event; keeping it last lets the host
      // number it after every action the episode emits, exactly as the SDK does.
      if (this.#isRetryTurn(c, m)) {
        leftBehind = consumed.length < messages.length;
        break;
      }
    }

    if (terminateEvent) {
      this.#commitTermination(c, consumed, terminateEvent);
      return leftBehind;
    }
    if (batch.length === 0) {
      if (consumed.length) store.transaction(() => consumed.forEach((id) => store.deleteMessage(id)));
      return leftBehind;
    }

    const fn = this.#o.registry.get(c.row.name);
    const episodeStart = historyEvent(EventType.OrchestratorStarted, nowIso());
    const newEvents = [episodeStart, ...batch];
    let outcome: OrchestratorOutcome;
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      outcome = {
        state: { isDone: false, actions: [] },
        error: `The orchestrator function '${c.row.name}' does not exist.`,
      };
    } else {
      const trigger = orchestrationPayload({
        playedHistory: c.played,
        newEvents: newEvents.map((e) => JSON.stringify(e)),
        inputJson: c.row.input,
        instanceId,
        parentInstanceId: c.row.parentInstanceId,
      });
      try {
        const result = await this.#o.invoker.invoke(fn, { trigger });
        outcome = parseOrchestratorResult(result.response.returnValue);
      } catch (err) {
        outcome = parseOrchestratorError(err);
      }
    }
    if (this.#stopped) {
      this.#cache.delete(instanceId); // nothing committed: the same messages are replayed after restart
      return false;
    }
    this.#commitEpisode(c, consumed, newEvents, outcome);
    return leftBehind;
  }

  /** Whether this message is a retryable task's failure or the firing of its retry timer. */
  #isRetryTurn(c: CachedInstance, m: MessageRow): boolean {
    if (c.retries.size === 0) return false;
    const id = completedTaskId(m.event);
    if (id === undefined) return false;
    for (const r of c.retries.values()) {
      if (isFailure(m.event) && r.currentTaskId === id) return true;
      if (m.event.EventType === EventType.TimerFired && r.timerId === id) return true;
    }
    return false;
  }

  #beginExecution(c: CachedInstance, m: MessageRow): void {
    const started = m.event;
    const executionId = started.OrchestrationInstance?.ExecutionId ?? newExecutionId();
    c.row = {
      ...c.row,
      executionId,
      runtimeStatus: 'Running',
      input: started.Input ?? null,
      output: null,
      customStatus: null,
      nextEventId: 0,
      actions: [],
    };
    c.played = [];
    c.retries = new Map();
  }

  #commitTermination(c: CachedInstance, consumed: number[], terminated: HistoryEvent): void {
    const store = this.#o.store;
    const now = nowIso();
    const reason = terminated.Input ?? 'null';
    const completed = historyEvent(EventType.ExecutionCompleted, now, {
      OrchestrationStatus: OrchestrationStatusCode.Terminated,
      Result: reason,
    });
    c.row = { ...c.row, runtimeStatus: 'Terminated', output: reason, lastUpdatedTime: now };
    const wake = store.transaction(() => {
      consumed.forEach((id) => store.deleteMessage(id));
      c.historySeq = store.appendHistory(c.row.instanceId, c.row.executionId, c.historySeq, [terminated, completed]);
      store.saveInstance(c.row);
      return this.#notifyParent(c.row, false, reason, {
        ErrorType: 'OrchestrationTerminated',
        ErrorMessage: `Orchestration '${c.row.instanceId}' was terminated: ${reason}`,
      });
    });
    this.#cache.delete(c.row.instanceId);
    wake.forEach((id) => this.#markDirty(id));
  }

  #commitEpisode(c: CachedInstance, consumed: number[], newEvents: HistoryEvent[], outcome: OrchestratorOutcome): void {
    const store = this.#o.store;
    const row = { ...c.row, actions: [...c.row.actions] };
    const scheduled: HistoryEvent[] = [];
    const messages: NewMessage[] = [];
    const workItems: Array<{ taskId: number; name: string; input: string }> = [];
    const retries = new Map(c.retries);
    const retryWrites: RetryRow[] = [];
    const retryDeletes: RetryRow[] = [];
    const timerCancels: number[] = [];
    const children: InstanceRow[] = [];
    const now = nowIso();
    let failure: { message: string; details?: FailureDetails } | undefined;
    let continueAs: OrchestratorAction | undefined;

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
        this.#checkDeterminism(row, flat);
        for (let i = row.actions.length; i < flat.length; i++) {
          const a = flat[i]!;
          const id = takesTaskId(a.actionType) ? row.nextEventId++ : -1;
          row.actions.push({ sig: actionSignature(a), id });
          this.#scheduleAction(row, a, id, now, { scheduled, messages, workItems, retries, retryWrites, children });
          if (a.actionType === ActionType.ContinueAsNew) continueAs = a;
        }
        // A cancelled timer (the loser of Task.any) is dropped so it neither fires nor keeps the instance busy.
        flat.forEach((a, i) => {
          const rec = row.actions[i]!;
          if (a.actionType === ActionType.CreateTimer && a.isCanceled && rec.id >= 0 && !rec.sig.endsWith('!')) {
            rec.sig += '!';
            timerCancels.push(rec.id);
          }
        });
        this.#advanceRetries(row, newEvents, now, {
          scheduled,
          messages,
          workItems,
          retries,
          retryWrites,
          retryDeletes,
          children,
        });
      } catch (err) {
        if (!(err instanceof NonDeterminismError || err instanceof UnsupportedActionError)) throw err;
        failure = { message: err.message, details: { ErrorType: err.constructor.name, ErrorMessage: err.message } };
      }
    }

    const state = outcome.state;
    if (state.customStatus !== undefined) row.customStatus = JSON.stringify(state.customStatus);
    row.lastUpdatedTime = now;
    const closing: HistoryEvent[] = [historyEvent(EventType.OrchestratorCompleted, now)];
    let finished = false;
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
      finished = true;
    } else if (state.isDone && continueAs) {
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
      finished = true;
    } else {
      row.runtimeStatus = 'Running';
    }

    const appended = [...newEvents, ...scheduled, ...closing];
    const queued: WorkItemRow[] = [];
    const wake = store.transaction((): string[] => {
      consumed.forEach((id) => store.deleteMessage(id));
      if (continueAs) {
        // A fresh execution: history, counters and pending timers of this one are gone (bounded history).
        store.clearHistory(row.instanceId);
        const next = this.#newExecutionRow(row, encodeActionInput(continueAs));
        store.saveInstance(next);
        store.addMessage(this.#startMessage(next));
        return [row.instanceId];
      }
      c.historySeq = store.appendHistory(row.instanceId, row.executionId, c.historySeq, appended);
      store.saveInstance(row);
      if (finished) return this.#notifyParent(row, !failure, row.output ?? 'null', failure?.details);
      const ids: string[] = [];
      for (const m of messages) store.addMessage(m);
      for (const w of workItems) {
        const id = store.addWorkItem(row.instanceId, row.executionId, w.taskId, w.name, w.input);
        queued.push({ id, instanceId: row.instanceId, executionId: row.executionId, ...w });
      }
      for (const r of retryWrites) store.saveRetry(r);
      for (const r of retryDeletes) store.deleteRetry(r);
      for (const id of timerCancels) store.deleteTimerMessage(row.instanceId, row.executionId, id);
      for (const child of children) ids.push(...this.#writeChild(child));
      return ids;
    });

    if (continueAs || finished) {
      this.#cache.delete(row.instanceId);
      this.#episodeMs.delete(row.instanceId);
    } else {
      c.row = row;
      c.retries = retries;
      c.played.push(...playedHistory(appended));
    }
    for (const w of queued) this.#queueActivity(w);
    for (const m of messages) {
      if (m.visibleAt > Date.now()) this.#scheduleWake(m.visibleAt);
      else wake.push(m.instanceId);
    }
    wake.forEach((id) => this.#markDirty(id));
  }

  #checkDeterminism(row: InstanceRow, flat: OrchestratorAction[]): void {
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

  #scheduleAction(
    row: InstanceRow,
    a: OrchestratorAction,
    id: number,
    now: string,
    out: {
      scheduled: HistoryEvent[];
      messages: NewMessage[];
      workItems: Array<{ taskId: number; name: string; input: string }>;
      retries: Map<number, RetryRow>;
      retryWrites: RetryRow[];
      children: InstanceRow[];
    },
  ): void {
    switch (a.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const input = encodeActionInput(a);
        out.scheduled.push(
          historyEvent(EventType.TaskScheduled, now, { EventId: id, Name: a.functionName, Input: input }),
        );
        out.workItems.push({ taskId: id, name: a.functionName ?? '', input });
        if (a.actionType === ActionType.CallActivityWithRetry && a.retryOptions) {
          this.#trackRetry(row, out, { originId: id, kind: 'activity', name: a.functionName ?? '', input, sub: null, a });
        }
        return;
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const childId = a.instanceId || `${row.instanceId}:${id}`;
        const input = JSON.stringify(a.input ?? null);
        out.scheduled.push(
          historyEvent(EventType.SubOrchestrationInstanceCreated, now, {
            EventId: id,
            Name: a.functionName,
            InstanceId: childId,
            Input: input,
          }),
        );
        out.children.push(this.#childRow(row, id, childId, a.functionName ?? '', a.version ?? null, input));
        if (a.actionType === ActionType.CallSubOrchestratorWithRetry && a.retryOptions) {
          this.#trackRetry(row, out, {
            originId: id,
            kind: 'subOrchestration',
            name: a.functionName ?? '',
            input,
            sub: childId,
            a,
          });
        }
        return;
      }
      case ActionType.CreateTimer: {
        const fireAt = a.fireAt ?? now;
        out.scheduled.push(historyEvent(EventType.TimerCreated, now, { EventId: id, FireAt: fireAt }));
        if (!a.isCanceled) out.messages.push(this.#timerMessage(row, id, fireAt));
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

  #trackRetry(
    row: InstanceRow,
    out: { retries: Map<number, RetryRow>; retryWrites: RetryRow[] },
    t: { originId: number; kind: RetryRow['kind']; name: string; input: string; sub: string | null; a: OrchestratorAction },
  ): void {
    const r: RetryRow = {
      instanceId: row.instanceId,
      executionId: row.executionId,
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
    out.retries.set(r.originId, r);
    out.retryWrites.push(r);
  }

  /**
   * Mirrors the SDK's RetryableTask: a failed attempt is followed by a retry timer (even after the last attempt),
   * and when that timer fires the next attempt is scheduled if attempts remain. Ids are taken after the episode's
   * new actions because the triggering event is always the last one delivered.
   */
  #advanceRetries(
    row: InstanceRow,
    newEvents: HistoryEvent[],
    now: string,
    out: {
      scheduled: HistoryEvent[];
      messages: NewMessage[];
      workItems: Array<{ taskId: number; name: string; input: string }>;
      retries: Map<number, RetryRow>;
      retryWrites: RetryRow[];
      retryDeletes: RetryRow[];
      children: InstanceRow[];
    },
  ): void {
    if (out.retries.size === 0) return;
    for (const e of newEvents) {
      const id = completedTaskId(e);
      if (id === undefined) continue;
      for (const r of [...out.retries.values()]) {
        const succeeded =
          (e.EventType === EventType.TaskCompleted || e.EventType === EventType.SubOrchestrationInstanceCompleted) &&
          r.currentTaskId === id;
        if (succeeded) {
          out.retries.delete(r.originId);
          out.retryDeletes.push(r);
        } else if (isFailure(e) && r.currentTaskId === id) {
          const timerId = row.nextEventId++;
          const last = r.attemptsMade >= r.options.maxNumberOfAttempts;
          const fireAt = new Date(Date.now() + (last ? 0 : retryDelayMs(r.options, r.attemptsMade))).toISOString();
          out.scheduled.push(historyEvent(EventType.TimerCreated, now, { EventId: timerId, FireAt: fireAt }));
          out.messages.push(this.#timerMessage(row, timerId, fireAt));
          const next = { ...r, currentTaskId: -1, timerId };
          out.retries.set(r.originId, next);
          out.retryWrites.push(next);
        } else if (e.EventType === EventType.TimerFired && r.timerId === id) {
          if (r.attemptsMade >= r.options.maxNumberOfAttempts) {
            out.retries.delete(r.originId);
            out.retryDeletes.push(r);
            continue;
          }
          const attemptId = row.nextEventId++;
          if (r.kind === 'activity') {
            out.scheduled.push(
              historyEvent(EventType.TaskScheduled, now, { EventId: attemptId, Name: r.name, Input: r.input }),
            );
            out.workItems.push({ taskId: attemptId, name: r.name, input: r.input });
          } else {
            const childId = r.subInstanceId ?? `${row.instanceId}:${attemptId}`;
            out.scheduled.push(
              historyEvent(EventType.SubOrchestrationInstanceCreated, now, {
                EventId: attemptId,
                Name: r.name,
                InstanceId: childId,
                Input: r.input,
              }),
            );
            out.children.push(this.#childRow(row, attemptId, childId, r.name, null, r.input));
          }
          const next = { ...r, attemptsMade: r.attemptsMade + 1, currentTaskId: attemptId, timerId: -1 };
          out.retries.set(r.originId, next);
          out.retryWrites.push(next);
        }
      }
    }
  }

  #childRow(parent: InstanceRow, taskId: number, childId: string, name: string, version: string | null, input: string) {
    return this.#newInstanceRow(childId, name, version, input, {
      instanceId: parent.instanceId,
      executionId: parent.executionId,
      taskId,
    });
  }

  /**
   * Starts a sub-orchestration inside the parent's transaction. An id still in use by a running instance fails the
   * parent's task instead, as DTFx does.
   */
  #writeChild(child: InstanceRow): string[] {
    const store = this.#o.store;
    const existing = store.getInstance(child.instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      return this.#notifyParent(child, false, JSON.stringify(`An instance with id '${child.instanceId}' is already running.`), {
        ErrorType: 'InvalidOperationException',
        ErrorMessage: `An orchestration with instance id '${child.instanceId}' already exists and is running.`,
      });
    }
    if (existing) store.deleteInstance(child.instanceId);
    store.saveInstance(child);
    store.addMessage(this.#startMessage(child));
    this.#cache.delete(child.instanceId);
    return [child.instanceId];
  }

  /** Writes the sub-orchestration's outcome to its parent; returns the instances to wake after the commit. */
  #notifyParent(row: InstanceRow, succeeded: boolean, resultJson: string, details?: FailureDetails): string[] {
    if (!row.parentInstanceId || row.parentExecutionId === null || row.parentTaskId === null) return [];
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
    this.#o.store.addMessage({
      instanceId: row.parentInstanceId,
      executionId: row.parentExecutionId,
      visibleAt: 0,
      kind: 'completion',
      event,
    });
    return [row.parentInstanceId];
  }

  #newInstanceRow(
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

  #newExecutionRow(row: InstanceRow, inputJson: string): InstanceRow {
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

  #startMessage(row: InstanceRow): NewMessage {
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

  #timerMessage(row: InstanceRow, timerId: number, fireAt: string): NewMessage {
    return {
      instanceId: row.instanceId,
      executionId: row.executionId,
      visibleAt: Date.parse(fireAt),
      kind: 'completion',
      event: historyEvent(EventType.TimerFired, fireAt, { TimerId: timerId, FireAt: fireAt }),
    };
  }
}

export type { MessageRow };
