import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TimerSchedule } from './timerSchedule';

/** A timer's schedule status in epoch ms, as the host's ScheduleStatus (Last / Next / LastUpdated). */
export interface ScheduleStatus {
  last: number;
  next: number;
  lastUpdated: number;
}

/** .NET `default(DateTime)`: what the host reports as Last before a timer has ever run. */
export const neverMs = Date.parse('0001-01-01T00:00:00.000Z');

interface PersistedStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

/**
 * `<dataDir>/timers.json`: one status per monitored timer, in the JSON shape of the host's status blobs. It plays
 * the part of the host's blob-backed schedule monitor, so a restart can tell that an occurrence was missed.
 */
export class ScheduleStore {
  readonly file: string;
  readonly #warn: (message: string) => void;
  #statuses: Record<string, PersistedStatus> | undefined;

  constructor(dataDir: string, warn: (message: string) => void = () => {}) {
    this.file = path.join(dataDir, 'timers.json');
    this.#warn = warn;
  }

  get(name: string): ScheduleStatus | undefined {
    const stored = this.#load()[name];
    if (!stored) return undefined;
    const status = {
      last: Date.parse(stored.Last),
      next: Date.parse(stored.Next),
      lastUpdated: Date.parse(stored.LastUpdated),
    };
    return Object.values(status).every(Number.isFinite) ? status : undefined;
  }

  set(name: string, status: ScheduleStatus): void {
    const statuses = this.#load();
    statuses[name] = {
      Last: new Date(status.last).toISOString(),
      Next: new Date(status.next).toISOString(),
      LastUpdated: new Date(status.lastUpdated).toISOString(),
    };
    // Write-then-rename so a crash mid-write never leaves a truncated file behind.
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(statuses, null, 2) + '\n');
    renameSync(tmp, this.file);
  }

  #load(): Record<string, PersistedStatus> {
    if (this.#statuses) return this.#statuses;
    this.#statuses = {};
    if (existsSync(this.file)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          this.#statuses = parsed as Record<string, PersistedStatus>;
        }
      } catch (err) {
        this.#warn(`Ignoring unreadable ${this.file}: ${String(err)}`);
      }
    }
    return this.#statuses;
  }
}

export interface PastDueCheck {
  status: ScheduleStatus;
  /** True when an occurrence was due while the host was down. */
  isPastDue: boolean;
  /** The status differs from what was stored and must be written back. */
  changed: boolean;
}

/**
 * The host's ScheduleMonitor.CheckPastDueAsync: recompute the next occurrence from the most recent of Last and
 * LastUpdated with the *current* schedule (so an edited schedule takes effect), then the timer is past due if
 * that occurrence is already behind us.
 */
export function checkPastDue(stored: ScheduleStatus | undefined, schedule: TimerSchedule, nowMs: number): PastDueCheck {
  if (!stored) {
    const status = { last: neverMs, next: schedule.next(nowMs), lastUpdated: nowMs };
    return { status, isPastDue: false, changed: true };
  }
  const basis = stored.lastUpdated > stored.last ? stored.lastUpdated : stored.last;
  const expectedNext = schedule.next(basis);
  const changed = expectedNext !== stored.next;
  const status = changed ? { last: stored.last, next: expectedNext, lastUpdated: basis } : { ...stored };
  return { status, isPastDue: nowMs > status.next, changed };
}
