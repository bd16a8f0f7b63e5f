import { Cron } from 'croner';

/** A parsed timer schedule: an NCRONTAB expression or a fixed TimeSpan interval, as the host accepts them. */
export interface TimerSchedule {
  /** The schedule after `%AppSetting%` resolution. */
  readonly expression: string;
  readonly kind: 'cron' | 'interval';
  readonly timeZone: string;
  /** Sent to the function as `schedule.adjustForDST`; the host sets it for cron schedules only. */
  readonly adjustForDST: boolean;
  /** The first occurrence strictly after `afterMs` (epoch ms). */
  next(afterMs: number): number;
}

/** Replaces `%Name%` tokens with app settings (environment variables), as the host's name resolver does. */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`'%${name}%' does not resolve to a value (no app setting "${name}").`);
    return resolved;
  });
}

/**
 * The time zone schedules are evaluated in: WEBSITE_TIME_ZONE (the App Service setting), then TZ, else UTC.
 * Only IANA names work here; a Windows name such as "Eastern Standard Time" is reported and UTC is used.
 */
export function resolveTimeZone(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): string {
  const configured = env.WEBSITE_TIME_ZONE || env.TZ;
  if (!configured) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: configured });
    return configured;
  } catch {
    warn(`Time zone "${configured}" is not an IANA time zone name (e.g. "Europe/Berlin"); timers use UTC.`);
    return 'UTC';
  }
}

// .NET TimeSpan text: [d.]hh:mm[:ss[.fffffff]], or a bare number of days.
const timeSpanPattern = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;

function parseTimeSpanMs(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 86_400_000;
  const m = timeSpanPattern.exec(text);
  if (!m) return undefined;
  const [days, hours, minutes, seconds] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as number[];
  if (hours! > 23 || minutes! > 59 || seconds! > 59) return undefined;
  const fraction = m[5] ? Number(`0.${m[5]}`) * 1000 : 0;
  return ((days! * 24 + hours!) * 60 + minutes!) * 60_000 + seconds! * 1000 + fraction;
}

/**
 * Parses a timerTrigger `schedule`. Like the host, a six-field expression has seconds first, a five-field one
 * starts at minutes, and text that is not a cron expression is tried as a TimeSpan interval ("00:00:30").
 */
export function parseTimerSchedule(schedule: string, timeZone = 'UTC', env: NodeJS.ProcessEnv = process.env) {
  const expression = resolveAppSettings(schedule, env).trim();
  if (/\s/.test(expression)) {
    // NCRONTAB matches a day only when both day-of-month and day-of-week match (AND, unlike Vixie cron's OR).
    const cron = new Cron(expression, { paused: true, timezone: timeZone, mode: '5-or-6-parts', domAndDow: true });
    const parsed: TimerSchedule = {
      expression,
      kind: 'cron',
      timeZone,
      adjustForDST: true,
      next(afterMs) {
        const next = cron.nextRun(new Date(afterMs));
        if (!next)
          throw new Error(`Schedule "${expression}" has no occurrence after ${new Date(afterMs).toISOString()}.`);
        return next.getTime();
      },
    };
    return parsed;
  }
  const intervalMs = parseTimeSpanMs(expression);
  if (intervalMs === undefined || intervalMs <= 0) {
    throw new Error(
      `"${schedule}" is neither an NCRONTAB expression ("{second} {minute} {hour} {day} {month} {day-of-week}") ` +
        'nor a positive TimeSpan ("hh:mm:ss").',
    );
  }
  const parsed: TimerSchedule = {
    expression,
    kind: 'interval',
    timeZone,
    adjustForDST: false,
    next: (afterMs) => afterMs + intervalMs,
  };
  return parsed;
}

/** The host turns the schedule monitor off for schedules that fire more than once a minute. */
export function firesMoreThanOncePerMinute(schedule: TimerSchedule, nowMs: number): boolean {
  const first = schedule.next(nowMs);
  return schedule.next(first) - first < 60_000;
}
