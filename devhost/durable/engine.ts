import { randomUUID } from 'node:crypto';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry } from '../core/registry';
import { planEpisode } from './episodePlan';
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
import {
  continuedRow,
  newExecutionId,
  isTerminal,
  newInstanceRow,
  nowIso,
  parentNotification,
  playedHistory,
  startMessage,
} from './records';
import type { DurableStore, InstanceRow, MessageRow, RetryRow, RuntimeStatus, WorkItemRow } from './store';
import { WorkQueue } from './workQueue';
import { nextTurn } from '../../shared/util/eventLoopTurns';

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

export type StartResult =
  { ok: true; instance: InstanceRow } | { ok: false; reason: 'conflict'; instance: InstanceRow };
export type SignalResult = 'accepted' | 'notFound' | 'gone';
export type PurgeResult =
  { outcome: 'purged' } | { outcome: 'notFound' } | { outcome: 'notFinished'; status: RuntimeStatus };

export { isTerminal };

/** How often the engine re-reads which instances have ready messages, as a safety net for wake-ups. */
const sweepIntervalMs = 2_000;

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
  #sweepTimer: NodeJS.Timeout | undefined;
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
    // Belt and braces: every few seconds, anything the store holds as ready is scheduled again. Wake-ups are
    // in-memory; this bounds the delay if one is ever missed, at the cost of one indexed query.
    this.#sweepTimer = setInterval(() => this.#onWake(), sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  /** Stops taking new work and waits for running episodes and activities to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
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
      const row = newInstanceRow(id, name, version ?? null, inputJson, null);
      store.saveInstance(row);
      store.addMessage(startMessage(row));
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
  purge(instanceId: string): PurgeResult {
    const store = this.#o.store;
    const result = store.transaction((): PurgeResult => {
      const status = store.getRuntimeStatus(instanceId);
      if (!status) return { outcome: 'notFound' };
      if (!isTerminal(status)) return { outcome: 'notFinished', status };
      store.deleteInstance(instanceId);
      return { outcome: 'purged' };
    });
    if (result.outcome === 'purged') this.#cache.delete(instanceId);
    return result;
  }

  // ---------------------------------------------------------------- scheduling

  #markDirty(instanceId: string): void {
    if (!this.#dirty.has(instanceId)) this.#dirty.set(instanceId, Date.now());
    this.#schedulePump();
  }

  /**
   * Episodes start from setImmediate, after the I/O callbacks already waiting: a burst of raised events or
   * activity completions then reaches the orchestrator in one replay instead of one replay each. A pump starts one
   * episode (see `#pump`).
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
      // One episode started per loop iteration: a replay is synchronous work, and twenty labeler sessions woken
      // together (a shift starting) would otherwise replay back to back before any waiting request was read.
      // Scheduled from the check phase, the next pump runs in the next iteration, after its poll phase.
      this.#schedulePump();
      return;
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
      this.#o.logger.error(
        `Durable episode for ${instanceId} failed: ${err instanceof Error ? err.stack : String(err)}`,
      );
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
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
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
        // Activities dispatched together (a fan-out, twenty allocations) start one per loop iteration, as
        // deliveries from the real host arrive: each runs synchronously up to its first wait.
        await nextTurn();
        if (this.#stopped) return; // stopping meanwhile: left as a work item, run after the restart
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
    this.#recordCompletion(w, completion);
  }

  /** Records an activity's outcome; a failed write is retried rather than lost (the work item stays meanwhile). */
  #recordCompletion(w: WorkItemRow, completion: HistoryEvent): void {
    if (this.#stopped) return;
    try {
      this.#writeCompletion(w, completion);
    } catch (err) {
      this.#o.logger.error(`Recording activity '${w.name}' of ${w.instanceId} failed, retrying: ${String(err)}`);
      setTimeout(() => this.#recordCompletion(w, completion), 1000).unref();
    }
  }

  #writeCompletion(w: WorkItemRow, completion: HistoryEvent): void {
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
    const plan = planEpisode({ row: c.row, retries: c.retries, newEvents, outcome, now: nowIso() });
    const row = plan.row;
    const queued: WorkItemRow[] = [];
    const wake = store.transaction((): string[] => {
      consumed.forEach((id) => store.deleteMessage(id));
      if (plan.continueWith !== undefined) {
        // A fresh execution: history, counters and pending timers of this one are gone (bounded history).
        store.clearHistory(row.instanceId);
        const next = continuedRow(row, plan.continueWith);
        store.saveInstance(next);
        store.addMessage(startMessage(next));
        return [row.instanceId];
      }
      c.historySeq = store.appendHistory(row.instanceId, row.executionId, c.historySeq, plan.appended);
      store.saveInstance(row);
      if (plan.finished) {
        return this.#notifyParent(row, plan.finished.succeeded, row.output ?? 'null', plan.finished.details);
      }
      const ids: string[] = [];
      for (const m of plan.messages) store.addMessage(m);
      for (const w of plan.workItems) {
        const id = store.addWorkItem(row.instanceId, row.executionId, w.taskId, w.name, w.input);
        queued.push({ id, instanceId: row.instanceId, executionId: row.executionId, ...w });
      }
      for (const r of plan.retryWrites) store.saveRetry(r);
      for (const r of plan.retryDeletes) store.deleteRetry(r);
      for (const id of plan.timerCancels) store.deleteTimerMessage(row.instanceId, row.executionId, id);
      for (const child of plan.children) ids.push(...this.#writeChild(child));
      return ids;
    });

    if (plan.continueWith !== undefined || plan.finished) {
      this.#cache.delete(row.instanceId);
      this.#episodeMs.delete(row.instanceId);
    } else {
      c.row = row;
      c.retries = plan.retries;
      c.played.push(...playedHistory(plan.appended));
      for (const m of plan.messages) {
        if (m.visibleAt > Date.now()) this.#scheduleWake(m.visibleAt);
        else wake.push(m.instanceId);
      }
    }
    for (const w of queued) this.#queueActivity(w);
    wake.forEach((id) => this.#markDirty(id));
  }

  /**
   * Starts a sub-orchestration inside the parent's transaction. An id still in use by a running instance fails the
   * parent's task instead, as DTFx does.
   */
  #writeChild(child: InstanceRow): string[] {
    const store = this.#o.store;
    const existing = store.getInstance(child.instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      const reason = `An orchestration with instance id '${child.instanceId}' already exists and is running.`;
      return this.#notifyParent(child, false, JSON.stringify(reason), {
        ErrorType: 'InvalidOperationException',
        ErrorMessage: reason,
      });
    }
    if (existing) store.deleteInstance(child.instanceId);
    store.saveInstance(child);
    store.addMessage(startMessage(child));
    this.#cache.delete(child.instanceId);
    return [child.instanceId];
  }

  /** Writes a sub-orchestration's outcome to its parent; returns the instances to wake after the commit. */
  #notifyParent(row: InstanceRow, succeeded: boolean, resultJson: string, details?: FailureDetails): string[] {
    const message = parentNotification(row, succeeded, resultJson, details);
    if (!message) return [];
    this.#o.store.addMessage(message);
    return [message.instanceId];
  }
}

export type { MessageRow };
