import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadEntryFiles } from '../../devhost/core/appLoader';
import { createCoreApi, HostState, installCoreModule } from '../../devhost/core/coreApi';
import { FunctionInvoker } from '../../devhost/core/invoker';
import { createLogger } from '../../devhost/core/logger';
import { FunctionRegistry, type RegisteredFunction } from '../../devhost/core/registry';
import { runTimerAfterCurrent } from '../../devhost/timers/timerRuns';
import { TimerScheduler } from '../../devhost/timers/timerScheduler';
import { parseTimerSchedule, resolveTimeZone } from '../../devhost/timers/timerSchedule';
import { repoRoot, startDevhost, testKeys, type RunningDevhost } from '../helpers/devhost';
import { FakeClock, settle } from '../helpers/fakeClock';

const never = '0001-01-01T00:00:00.000Z';

describe('timer schedule parsing', () => {
  const after = (schedule: string, iso: string, timeZone = 'UTC', env: NodeJS.ProcessEnv = {}) =>
    new Date(parseTimerSchedule(schedule, timeZone, env).next(Date.parse(iso))).toISOString();

  it('reads six-field NCRONTAB expressions with seconds first', () => {
    expect(after('0 */5 * * * *', '2024-01-01T10:02:13.500Z')).toBe('2024-01-01T10:05:00.000Z');
    expect(after('0 */5 * * * *', '2024-01-01T10:05:00.000Z')).toBe('2024-01-01T10:10:00.000Z');
    expect(after('*/15 * * * * *', '2024-01-01T10:00:07.000Z')).toBe('2024-01-01T10:00:15.000Z');
    expect(after('30 15 9 * * 1-5', '2024-01-05T10:00:00.000Z')).toBe('2024-01-08T09:15:30.000Z'); // Fri → Mon
    expect(after('0 0 0 1 1 *', '2024-06-01T00:00:00.000Z')).toBe('2025-01-01T00:00:00.000Z');
  });

  it('accepts five-field expressions (no seconds) like the host', () => {
    expect(after('0 */2 * * *', '2024-01-01T10:30:00.000Z')).toBe('2024-01-01T12:00:00.000Z');
  });

  it('requires both day-of-month and day-of-week to match, as NCRONTAB does', () => {
    expect(after('0 0 0 13 * 5', '2024-01-01T00:00:00.000Z')).toBe('2024-09-13T00:00:00.000Z'); // a Friday the 13th
  });

  it('evaluates cron schedules in the configured time zone', () => {
    expect(after('0 0 9 * * *', '2024-01-10T00:00:00.000Z', 'America/New_York')).toBe('2024-01-10T14:00:00.000Z');
    expect(after('0 0 9 * * *', '2024-07-10T00:00:00.000Z', 'America/New_York')).toBe('2024-07-10T13:00:00.000Z');
  });

  it('treats non-cron text as a TimeSpan interval', () => {
    const schedule = parseTimerSchedule('00:00:30');
    expect(schedule.kind).toBe('interval');
    expect(schedule.adjustForDST).toBe(false);
    expect(schedule.next(1_000)).toBe(31_000);
    expect(parseTimerSchedule('1.02:00:00').next(0)).toBe(26 * 3_600_000);
  });

  it('resolves %AppSetting% schedules and rejects unknown ones', () => {
    expect(after('%MY_SCHEDULE%', '2024-01-01T10:00:00.000Z', 'UTC', { MY_SCHEDULE: '0 0 * * * *' })).toBe(
      '2024-01-01T11:00:00.000Z',
    );
    expect(() => parseTimerSchedule('%MISSING%', 'UTC', {})).toThrow(/MISSING/);
  });

  it('rejects schedules that are neither cron nor TimeSpan', () => {
    expect(() => parseTimerSchedule('every five minutes')).toThrow();
    expect(() => parseTimerSchedule('99:00:00')).toThrow(/TimeSpan/);
    expect(() => parseTimerSchedule('00:00:00')).toThrow(/TimeSpan/);
  });

  it('takes the time zone from WEBSITE_TIME_ZONE, then TZ, and falls back to UTC for non-IANA names', () => {
    expect(resolveTimeZone({})).toBe('UTC');
    expect(resolveTimeZone({ TZ: 'Europe/Berlin' })).toBe('Europe/Berlin');
    expect(resolveTimeZone({ WEBSITE_TIME_ZONE: 'Asia/Tokyo', TZ: 'Europe/Berlin' })).toBe('Asia/Tokyo');
    const warnings: string[] = [];
    expect(resolveTimeZone({ WEBSITE_TIME_ZONE: 'Eastern Standard Time' }, (m) => warnings.push(m))).toBe('UTC');
    expect(warnings[0]).toMatch(/Eastern Standard Time/);
  });
});

/**
 * The scheduler against the real fixture app (tests/fixtures/timers/scheduled.ts) loaded through devhost's real
 * coreApi and invoker; only time is fake. Handlers log the trigger input they received, which the tests read back.
 */
describe('TimerScheduler (fake clock, real app)', () => {
  const state = new HostState();
  const dirs: string[] = [];
  const running: TimerScheduler[] = [];

  beforeAll(async () => {
    installCoreModule(createCoreApi(state, () => {}));
    await loadEntryFiles([path.join(repoRoot, 'dist/tests/fixtures/timers/scheduled.js')]);
    state.acceptingRegistrations = false;
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function newDataDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'devhost-timers-'));
    dirs.push(dir);
    return dir;
  }

  interface Harness {
    clock: FakeClock;
    scheduler: TimerScheduler;
    lines: string[];
    /** Trigger inputs the named function received, in order. */
    inputs(name: string): unknown[];
  }

  function harness(
    names: string[],
    opts: {
      start: string;
      dataDir?: string;
      invoker?: ConstructorParameters<typeof TimerScheduler>[0]['invoker'];
      env?: NodeJS.ProcessEnv;
      timeZone?: string;
    },
  ): Harness {
    const registry = new FunctionRegistry();
    for (const name of names) registry.add(fixture(name));
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    const clock = new FakeClock(opts.start);
    const scheduler = new TimerScheduler({
      registry,
      invoker: opts.invoker ?? new FunctionInvoker(state, logger),
      logger,
      dataDir: opts.dataDir ?? newDataDir(),
      clock,
      env: opts.env ?? {},
      timeZone: opts.timeZone,
    });
    running.push(scheduler);
    const inputs = (name: string) =>
      lines.flatMap((line) => {
        const m = /^\[[^\]]+\] (\S+) \([^)]*\) information: timer-input (.*)$/.exec(line);
        return m && m[1] === name ? [JSON.parse(m[2]!) as unknown] : [];
      });
    return { clock, scheduler, lines, inputs };
  }

  function fixture(name: string): RegisteredFunction {
    const fn = state.registry.get(name);
    if (!fn) throw new Error(`fixture function ${name} is not registered`);
    return fn;
  }

  function timerInput(last: string, next: string, lastUpdated: string, isPastDue = false, adjustForDST = true) {
    return { schedule: { adjustForDST }, scheduleStatus: { last, next, lastUpdated }, isPastDue };
  }

  it('fires a six-field schedule at each occurrence with the camel-cased TimerInfo', async () => {
    const h = harness(['everyFiveMinutes'], { start: '2024-01-01T10:02:13.000Z' });
    await h.scheduler.start();
    await h.clock.advanceTo('2024-01-01T10:04:59.999Z');
    expect(h.inputs('everyFiveMinutes')).toEqual([]);
    await h.clock.advanceTo('2024-01-01T10:11:00.000Z');
    expect(h.inputs('everyFiveMinutes')).toEqual([
      // First run: never ran before; LastUpdated is when the monitor first recorded the timer.
      timerInput(never, '2024-01-01T10:05:00.000Z', '2024-01-01T10:02:13.000Z'),
      timerInput('2024-01-01T10:05:00.000Z', '2024-01-01T10:10:00.000Z', '2024-01-01T10:05:00.000Z'),
    ]);
  });

  it('follows weekday schedules and the configured time zone', async () => {
    const utc = harness(['weekdayMorning'], { start: '2024-01-05T10:00:00.000Z' }); // a Friday
    await utc.scheduler.start();
    await utc.clock.advanceTo('2024-01-09T12:00:00.000Z');
    const nexts = (h: Harness) =>
      h.inputs('weekdayMorning').map((i) => (i as { scheduleStatus: { next: string } }).scheduleStatus.next);
    expect(nexts(utc)).toEqual(['2024-01-08T09:15:30.000Z', '2024-01-09T09:15:30.000Z']);

    const tokyo = harness(['weekdayMorning'], { start: '2024-01-05T10:00:00.000Z', timeZone: 'Asia/Tokyo' });
    await tokyo.scheduler.start();
    await tokyo.clock.advanceTo('2024-01-09T12:00:00.000Z');
    expect(nexts(tokyo)).toEqual(['2024-01-08T00:15:30.000Z', '2024-01-09T00:15:30.000Z']);
  });

  it('invokes once with isPastDue after a restart that missed occurrences, then resumes the schedule', async () => {
    const dataDir = newDataDir();
    const first = harness(['everyFiveMinutes'], { start: '2024-01-01T10:02:13.000Z', dataDir });
    await first.scheduler.start();
    await first.clock.advanceTo('2024-01-01T10:06:00.000Z');
    await first.scheduler.stop();
    expect(JSON.parse(readFileSync(path.join(dataDir, 'timers.json'), 'utf8'))).toEqual({
      everyFiveMinutes: {
        Last: '2024-01-01T10:05:00.000Z',
        Next: '2024-01-01T10:10:00.000Z',
        LastUpdated: '2024-01-01T10:05:00.000Z',
      },
    });

    // Down from 10:06 to 10:17:30: the 10:10 and 10:15 occurrences were missed.
    const second = harness(['everyFiveMinutes'], { start: '2024-01-01T10:17:30.000Z', dataDir });
    await second.scheduler.start();
    await settle();
    expect(second.inputs('everyFiveMinutes')).toEqual([
      timerInput('2024-01-01T10:05:00.000Z', '2024-01-01T10:10:00.000Z', '2024-01-01T10:05:00.000Z', true),
    ]);
    await second.clock.advanceTo('2024-01-01T10:20:30.000Z');
    expect(second.inputs('everyFiveMinutes')).toEqual([
      timerInput('2024-01-01T10:05:00.000Z', '2024-01-01T10:10:00.000Z', '2024-01-01T10:05:00.000Z', true),
      timerInput('2024-01-01T10:17:30.000Z', '2024-01-01T10:20:00.000Z', '2024-01-01T10:17:30.000Z'),
    ]);
  });

  it('is not past due after a restart that missed nothing', async () => {
    const dataDir = newDataDir();
    const first = harness(['everyFiveMinutes'], { start: '2024-01-01T10:02:13.000Z', dataDir });
    await first.scheduler.start();
    await first.clock.advanceTo('2024-01-01T10:06:00.000Z');
    await first.scheduler.stop();

    const second = harness(['everyFiveMinutes'], { start: '2024-01-01T10:08:00.000Z', dataDir });
    await second.scheduler.start();
    await settle();
    expect(second.inputs('everyFiveMinutes')).toEqual([]);
    await second.clock.advanceTo('2024-01-01T10:10:00.000Z');
    expect(second.inputs('everyFiveMinutes')).toEqual([
      timerInput('2024-01-01T10:05:00.000Z', '2024-01-01T10:10:00.000Z', '2024-01-01T10:05:00.000Z'),
    ]);
  });

  it('keeps no status for useMonitor:false or sub-minute schedules, so restarts are never past due', async () => {
    const dataDir = newDataDir();
    const first = harness(['unmonitored', 'everyTenSeconds'], { start: '2024-01-01T10:02:13.000Z', dataDir });
    await first.scheduler.start();
    await first.clock.advanceTo('2024-01-01T10:06:00.000Z');
    await first.scheduler.stop();
    expect(first.inputs('unmonitored')).toEqual([timerInput(never, '2024-01-01T10:05:00.000Z', never)]);
    expect(existsSync(path.join(dataDir, 'timers.json'))).toBe(false);

    const second = harness(['unmonitored', 'everyTenSeconds'], { start: '2024-01-01T10:17:30.000Z', dataDir });
    await second.scheduler.start();
    await settle();
    expect(second.inputs('unmonitored')).toEqual([]);
    expect(second.inputs('everyTenSeconds')).toEqual([]);
  });

  it('runs runOnStartup timers once at start, then on schedule', async () => {
    const h = harness(['startupTimer'], { start: '2024-01-01T10:02:13.000Z' });
    await h.scheduler.start();
    await settle();
    expect(h.inputs('startupTimer')).toEqual([
      timerInput(never, '2024-01-01T11:00:00.000Z', '2024-01-01T10:02:13.000Z'),
    ]);
    await h.clock.advanceTo('2024-01-01T11:30:00.000Z');
    expect(h.inputs('startupTimer')).toEqual([
      timerInput(never, '2024-01-01T11:00:00.000Z', '2024-01-01T10:02:13.000Z'),
      timerInput('2024-01-01T10:02:13.000Z', '2024-01-01T11:00:00.000Z', '2024-01-01T10:02:13.000Z'),
    ]);
  });

  it('runs a past-due runOnStartup timer once, not twice', async () => {
    const dataDir = newDataDir();
    const first = harness(['startupTimer'], { start: '2024-01-01T10:02:13.000Z', dataDir });
    await first.scheduler.start();
    await first.clock.advanceTo('2024-01-01T10:30:00.000Z');
    await first.scheduler.stop();

    const second = harness(['startupTimer'], { start: '2024-01-01T12:30:00.000Z', dataDir });
    await second.scheduler.start();
    await settle();
    expect(second.inputs('startupTimer')).toEqual([
      timerInput('2024-01-01T10:02:13.000Z', '2024-01-01T11:00:00.000Z', '2024-01-01T10:02:13.000Z', true),
    ]);
  });

  it('never overlaps invocations: an occurrence that comes while one runs is skipped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const lines: string[] = [];
    const realInvoker = new FunctionInvoker(state, createLogger({ write: (l) => lines.push(l) }));
    // A slow function: the first invocation does not finish until the test releases it.
    const slowInvoker: Pick<FunctionInvoker, 'invoke'> = {
      async invoke(fn, request) {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          if (calls === 1) await gate;
          return await realInvoker.invoke(fn, request);
        } finally {
          active--;
        }
      },
    };
    const h = harness(['everyTenSeconds'], { start: '2024-01-01T10:00:00.000Z', invoker: slowInvoker });
    await h.scheduler.start();
    await h.clock.advanceTo('2024-01-01T10:00:10.000Z');
    expect(calls).toBe(1);

    // While it runs, a manual run queues behind it instead of overlapping.
    let manualStarted = false;
    const manual = runTimerAfterCurrent(fixture('everyTenSeconds'), async () => {
      manualStarted = true;
    });
    await h.clock.advanceTo('2024-01-01T10:00:45.000Z'); // 10:00:20, :30 and :40 pass while it runs
    expect(calls).toBe(1);
    expect(manualStarted).toBe(false);

    release();
    await manual;
    await settle();
    expect(manualStarted).toBe(true);
    expect(h.lines.join('\n')).toMatch(/skipped its occurrence at 2024-01-01T10:00:20\.000Z/);
    await h.clock.advanceTo('2024-01-01T10:01:00.000Z');
    expect(calls).toBe(3); // 10:00:50 and 10:01:00, nothing for the skipped ones
    expect(maxActive).toBe(1);
  });

  it('logs a failing invocation and keeps the schedule going', async () => {
    const h = harness(['failing'], { start: '2024-01-01T10:00:30.000Z' });
    await h.scheduler.start();
    await h.clock.advanceTo('2024-01-01T10:02:00.000Z');
    expect(h.inputs('failing')).toHaveLength(2);
    expect(
      h.lines.filter((l) => /error: Timer function 'failing' failed: .*failing timer fixture/.test(l)),
    ).toHaveLength(2);
    expect(h.clock.pendingTimers).toBe(1);
  });

  it('resolves %AppSetting% schedules; a timer that cannot be scheduled does not stop the others', async () => {
    const h = harness(['fromAppSetting', 'interval'], {
      start: '2024-01-01T11:00:00.250Z',
      env: { FIXTURE_TIMER_SCHEDULE: '0 0 12 * * *' },
    });
    await h.scheduler.start();
    await h.clock.advanceTo('2024-01-01T12:00:01.000Z');
    expect(h.inputs('fromAppSetting')).toEqual([
      timerInput(never, '2024-01-01T12:00:00.000Z', '2024-01-01T11:00:00.250Z'),
    ]);
    // TimeSpan schedules count from the previous run and do not adjust for DST.
    expect(h.inputs('interval').slice(0, 2)).toEqual([
      timerInput(never, '2024-01-01T11:00:30.250Z', never, false, false),
      timerInput('2024-01-01T11:00:30.250Z', '2024-01-01T11:01:00.250Z', '2024-01-01T11:00:30.250Z', false, false),
    ]);

    const broken = harness(['fromAppSetting', 'everyFiveMinutes'], { start: '2024-01-01T10:02:13.000Z' });
    await broken.scheduler.start();
    await broken.clock.advanceTo('2024-01-01T10:05:00.000Z');
    expect(broken.lines.join('\n')).toMatch(
      /Timer function 'fromAppSetting' is not scheduled: .*FIXTURE_TIMER_SCHEDULE/,
    );
    expect(broken.inputs('everyFiveMinutes')).toHaveLength(1);
  });

  it('stop() cancels pending occurrences', async () => {
    const h = harness(['everyTenSeconds'], { start: '2024-01-01T10:00:00.000Z' });
    await h.scheduler.start();
    await h.clock.advanceTo('2024-01-01T10:00:10.000Z');
    await h.scheduler.stop();
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advanceTo('2024-01-01T10:05:00.000Z');
    expect(h.inputs('everyTenSeconds')).toHaveLength(1);
  });
});

describe('timers on a real devhost', () => {
  let host: RunningDevhost;
  const admin = { 'x-functions-key': testKeys.masterKey, 'content-type': 'application/json' };

  beforeAll(async () => {
    host = await startDevhost({ app: 'dist/tests/fixtures/timers/everySecond.js' });
  });

  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  const ticks = () =>
    [...host.output().matchAll(/everySecond tick (.*)/g)].map(
      (m) => JSON.parse(m[1]!) as { isPastDue: boolean; scheduleStatus: { next: string } },
    );

  it('fires a */1 * * * * * timer every second', async () => {
    await host.waitForOutput(/everySecond tick[^\n]*\n[\s\S]*?everySecond tick/, 5_000);
    const [first, second] = ticks();
    expect(first!.isPastDue).toBe(false);
    // Consecutive seconds unless the machine stalled long enough for an occurrence to be skipped.
    const gap = Date.parse(second!.scheduleStatus.next) - Date.parse(first!.scheduleStatus.next);
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap % 1000).toBe(0);
    expect(Date.parse(first!.scheduleStatus.next) % 1000).toBe(0);
  });

  it('POST /admin/functions/{name} runs a timer now with a timer payload', async () => {
    const res = await fetch(`${host.baseUrl}/admin/functions/manualTimer`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ input: 'ignored for timers' }),
    });
    expect(res.status).toBe(202);
    const line = await host.waitForOutput(/manualTimer ran (.*)/, 5_000);
    const input = JSON.parse(line.replace('manualTimer ran ', '')) as Record<string, unknown>;
    const nextNewYear = `${new Date().getUTCFullYear() + 1}-01-01T00:00:00.000Z`;
    expect(input).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: { last: never, next: nextNewYear, lastUpdated: expect.any(String) as string },
      isPastDue: false,
    });
  });

  it('POST /admin/functions/{name} passes the input string to other triggers', async () => {
    const res = await fetch(`${host.baseUrl}/admin/functions/queueecho`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ input: '{"hello":"world"}' }),
    });
    expect(res.status).toBe(202);
    await host.waitForOutput(/queueEcho got \{"hello":"world"\}/, 5_000);
  });

  it('guards the admin API with the master key', async () => {
    const post = (name: string, headers: Record<string, string>, body = '{"input":""}') =>
      fetch(`${host.baseUrl}/admin/functions/${name}`, { method: 'POST', headers, body }).then((r) => r.status);
    expect(await post('manualTimer', {})).toBe(401);
    expect(await post('manualTimer', { 'x-functions-key': testKeys.functionKeys.default! })).toBe(401);
    expect(await post('manualTimer', { 'x-functions-key': 'wrong' })).toBe(401);
    expect(await post('noSuchFunction', admin)).toBe(404);
    expect(await post('manualTimer', admin, 'not json')).toBe(400);
    const viaQuery = await fetch(`${host.baseUrl}/admin/host/status?code=${testKeys.masterKey}`);
    expect(viaQuery.status).toBe(200);
  });

  it('GET /admin/host/status and GET /admin/functions describe the host', async () => {
    const status = (await (await fetch(`${host.baseUrl}/admin/host/status`, { headers: admin })).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({ state: 'Running', version: expect.stringMatching(/^4\./) as string });

    const list = (await (await fetch(`${host.baseUrl}/admin/functions`, { headers: admin })).json()) as Array<{
      name: string;
      trigger: string;
      config: { bindings: Array<{ type: string; schedule?: string }> };
    }>;
    expect(list.map((f) => [f.name, f.trigger])).toEqual([
      ['everySecond', 'timerTrigger'],
      ['manualTimer', 'timerTrigger'],
      ['queueEcho', 'queueTrigger'],
    ]);
    expect(list[0]!.config.bindings).toContainEqual(
      expect.objectContaining({ type: 'timerTrigger', schedule: '*/1 * * * * *' }),
    );
  });
});
