import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry, RegisteredFunction } from '../core/registry';
import { systemClock, type Clock, type ClockTimer } from './clock';
import { checkPastDue, neverMs, ScheduleStore, type ScheduleStatus } from './scheduleStatus';
import { timerTriggerData, timerTriggerOptions } from './timerPayload';
import { publishTimerSchedule, runTimerAfterCurrent, runTimerIfIdle } from './timerRuns';
import { firesMoreThanOncePerMinute, parseTimerSchedule, resolveTimeZone, type TimerSchedule } from './timerSchedule';

export interface TimerSchedulerOptions {
  registry: FunctionRegistry;
  invoker: Pick<FunctionInvoker, 'invoke'>;
  logger: Logger;
  /** `timers.json` (the schedule monitor's state) lives here. */
  dataDir: string;
  clock?: Clock;
  /** IANA zone for cron schedules; defaults to WEBSITE_TIME_ZONE, then TZ, then UTC. */
  timeZone?: string;
  /** App settings for `%Name%` schedules and the time zone (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

interface ScheduledTimer {
  readonly fn: RegisteredFunction;
  readonly schedule: TimerSchedule;
  /** Whether the status is persisted so a restart can detect missed occurrences. */
  readonly monitored: boolean;
  /** Next = the occurrence the armed timer fires at; sent to the function as scheduleStatus. */
  status: ScheduleStatus;
  timer: ClockTimer | undefined;
}

type InvocationKind = 'scheduled' | 'pastDue' | 'startup';

// Timers may wake a hair before their due time; anything earlier is a re-arm (long delays are split by the clock).
const earlyWakeToleranceMs = 20;

/**
 * Runs every timerTrigger function on its schedule, as the host's TimerListener does: runOnStartup, a schedule
 * monitor that invokes once with isPastDue after missed occurrences, and no overlapping invocations (an occurrence
 * that comes while the previous invocation still runs is skipped). Failures are logged; the schedule continues.
 */
export class TimerScheduler {
  readonly #opts: TimerSchedulerOptions;
  readonly #clock: Clock;
  readonly #store: ScheduleStore;
  readonly #timers: ScheduledTimer[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #started = false;
  #stopped = false;

  constructor(opts: TimerSchedulerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#store = new ScheduleStore(opts.dataDir, (m) => opts.logger.warn(m));
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error('TimerScheduler.start() was already called.');
    this.#started = true;
    const functions = this.#opts.registry.byTrigger('timerTrigger');
    if (functions.length === 0) return;
    const env = this.#opts.env ?? process.env;
    const timeZone = this.#opts.timeZone ?? resolveTimeZone(env, (m) => this.#opts.logger.warn(m));
    const now = this.#clock.now();

    for (const fn of functions) {
      try {
        this.#schedule(fn, timeZone, env, now);
      } catch (err) {
        // The host also keeps running when one function fails to index; only that timer is off.
        this.#opts.logger.error(`Timer function '${fn.name}' is not scheduled: ${errorText(err)}`);
      }
    }
  }

  /** Cancels pending occurrences and waits for running invocations to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#timers) {
      if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    await this.whenIdle();
  }

  /** Resolves once no timer invocation started by the scheduler is running. */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #schedule(fn: RegisteredFunction, timeZone: string, env: NodeJS.ProcessEnv, now: number): void {
    const options = timerTriggerOptions(fn);
    const schedule = parseTimerSchedule(options.schedule, timeZone, env);
    const monitored = options.useMonitor !== false && !firesMoreThanOncePerMinute(schedule, now);

    let status: ScheduleStatus = { last: neverMs, next: schedule.next(now), lastUpdated: neverMs };
    let isPastDue = false;
    if (monitored) {
      const check = checkPastDue(this.#store.get(fn.name), schedule, now);
      status = check.status;
      isPastDue = check.isPastDue;
      if (check.changed) this.#store.set(fn.name, status);
    }
    const entry: ScheduledTimer = { fn, schedule, monitored, status, timer: undefined };
    this.#timers.push(entry);
    publishTimerSchedule(fn, status, schedule.adjustForDST);
    this.#opts.logger.info(
      `Timer '${fn.name}': schedule '${schedule.expression}' (${schedule.kind === 'cron' ? schedule.timeZone : 'interval'}), ` +
        `next occurrence ${new Date(status.next).toISOString()}${monitored ? '' : ', not monitored'}.`,
    );

    if (isPastDue || options.runOnStartup) {
      const kind: InvocationKind = isPastDue ? 'pastDue' : 'startup';
      if (isPastDue) {
        this.#opts.logger.info(
          `Timer '${fn.name}' is past due (missed ${new Date(status.next).toISOString()}); invoking it now.`,
        );
      }
      // Like the host, the schedule starts after the startup invocation, so the two never overlap.
      this.#track(runTimerAfterCurrent(fn, () => this.#invoke(entry, now, kind)).then(() => this.#arm(entry)));
    } else {
      this.#arm(entry);
    }
  }

  #arm(entry: ScheduledTimer): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (entry.status.next < now - earlyWakeToleranceMs) {
      this.#skipMissed(entry, now, 'the previous invocation ran past it');
    }
    entry.timer = this.#clock.setTimeout(() => this.#onTick(entry), entry.status.next - now);
  }

  #onTick(entry: ScheduledTimer): void {
    entry.timer = undefined;
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (entry.status.next - now > earlyWakeToleranceMs) {
      this.#arm(entry);
      return;
    }
    const run = runTimerIfIdle(entry.fn, () => this.#invoke(entry, now, 'scheduled'));
    if (!run) {
      this.#skipMissed(entry, now, 'an invocation is still running');
      this.#arm(entry);
      return;
    }
    this.#track(run.then(() => this.#arm(entry)));
  }

  /** Moves Next past `now`, recording it as a schedule update so a restart does not call it past due. */
  #skipMissed(entry: ScheduledTimer, now: number, reason: string): void {
    const missed = entry.status.next;
    entry.status = { last: entry.status.last, next: entry.schedule.next(now), lastUpdated: now };
    this.#saveStatus(entry);
    this.#opts.logger.warn(
      `Timer '${entry.fn.name}' skipped its occurrence at ${new Date(missed).toISOString()} because ${reason}.`,
    );
  }

  async #invoke(entry: ScheduledTimer, invocationTime: number, kind: InvocationKind): Promise<void> {
    const trigger = timerTriggerData(entry.status, kind === 'pastDue', entry.schedule.adjustForDST);
    try {
      await this.#opts.invoker.invoke(entry.fn, { trigger });
    } catch (err) {
      this.#opts.logger.error(`Timer function '${entry.fn.name}' failed: ${errorText(err)}`);
    }
    // As the host does: a tick that fired slightly early counts as the scheduled occurrence, otherwise the same
    // Next could be computed twice in a row.
    const adjusted = kind === 'scheduled' && entry.status.next > invocationTime ? entry.status.next : invocationTime;
    entry.status = { last: adjusted, next: entry.schedule.next(adjusted), lastUpdated: adjusted };
    this.#saveStatus(entry);
  }

  #saveStatus(entry: ScheduledTimer): void {
    publishTimerSchedule(entry.fn, entry.status, entry.schedule.adjustForDST);
    if (!entry.monitored) return;
    try {
      this.#store.set(entry.fn.name, entry.status);
    } catch (err) {
      this.#opts.logger.error(`Could not save the schedule status of '${entry.fn.name}': ${errorText(err)}`);
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.#opts.logger.error(`Timer scheduler: ${errorText(err)}`));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
