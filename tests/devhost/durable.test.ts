import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { durableApi } from '../helpers/durable';

const app = 'dist/tests/fixtures/durable/*.js';

describe('Durable backend: orchestration semantics', () => {
  let host: RunningDevhost;
  let api: ReturnType<typeof durableApi>;

  beforeAll(async () => {
    host = await startDevhost({ app });
    api = durableApi(host);
  });
  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('runs a sequence of activities and renders history as the extension does', async () => {
    const id = await api.start('helloCities');
    const done = await api.waitFor(id, undefined, 10_000, '&showHistory=true&showHistoryOutput=true');
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    const events = done.historyEvents!;
    expect(events.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(events[0]).toMatchObject({ FunctionName: 'helloCities' });
    expect(events[1]).toMatchObject({ FunctionName: 'sayHello', Result: 'Hello Tokyo', Input: 'Tokyo' });
    expect(events[1]).toHaveProperty('ScheduledTime');
    expect(events[1]).not.toHaveProperty('EventId');
    expect(events[1]).not.toHaveProperty('TaskScheduledId');
    expect(events[4]).toMatchObject({ OrchestrationStatus: 'Completed', Result: done.output });

    const withoutOutput = await api.status(id, '&showHistory=true');
    expect(withoutOutput.body.historyEvents![1]).not.toHaveProperty('Result');
  });

  it('keeps custom status and input', async () => {
    const id = await api.start('sequence', { n: 4 });
    const done = await api.waitFor(id);
    expect(done.output).toBe(2 * (0 + 1 + 2 + 3));
    expect(done.customStatus).toEqual({ step: 4 });
    expect(done.input).toEqual({ n: 4 });
  });

  it('fans out 1,000 activities and fans in every result', async () => {
    const id = await api.start('fanOut', { n: 1000 });
    const done = await api.waitFor(id, undefined, 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe(2 * ((999 * 1000) / 2));
  });

  it('retries with backoff until the activity succeeds', async () => {
    const key = `retry-ok-${Date.now()}`;
    const id = await api.start('retrying', { key, failTimes: 2, attempts: 4 });
    const done = await api.waitFor(id);
    expect(done.output).toEqual({ attempts: 3 });
    const stamps = readFileSync(path.join(host.dataDir, `flaky-${key}.log`), 'utf8')
      .trim()
      .split('\n')
      .map(Date.parse);
    expect(stamps).toHaveLength(3);
    // first retry after ~200 ms, second after ~400 ms (backoff coefficient 2)
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(190);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(390);
  });

  it('gives up after the last attempt and surfaces the final error', async () => {
    const key = `retry-exhausted-${Date.now()}`;
    const id = await api.start('retrying', { key, failTimes: 10, attempts: 3 });
    const done = await api.waitFor(id);
    expect(done.output).toEqual({ failed: 'Error: flaky failure #3' });
    const attempts = readFileSync(path.join(host.dataDir, `flaky-${key}.log`), 'utf8')
      .trim()
      .split('\n');
    expect(attempts).toHaveLength(3);
  });

  it('propagates activity failures as TaskFailedError', async () => {
    const caught = await api.waitFor(await api.start('catchFailure'));
    expect(caught.output).toEqual({
      name: 'TaskFailedError',
      message: 'TypeError: kaboom from activity',
      errorType: 'TypeError',
    });
    const failed = await api.waitFor(await api.start('uncaughtFailure'));
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toContain("Orchestrator function 'uncaughtFailure' failed");
    expect(failed.output).toContain('nobody catches this');
  });

  it('delivers an external event raised after the orchestrator waits', async () => {
    const id = await api.start('waitForApproval');
    await api.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await new Promise((r) => setTimeout(r, 100));
    expect((await api.client('raiseEvent', { instanceId: id, eventName: 'Approve', eventData: 'yes' })).code).toBe(200);
    expect((await api.waitFor(id)).output).toEqual({ approval: 'yes' });
  });

  it('buffers an external event raised before the orchestrator waits for it', async () => {
    const key = `buffered-${Date.now()}`;
    const id = await api.start('workThenWait', { key, ms: 800 });
    // The event arrives while the activity is still running, before waitForExternalEvent is reached.
    const marker = path.join(host.dataDir, `slow-${key}.log`);
    for (let i = 0; i < 100 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
    expect(
      (await api.client('raiseEvent', { instanceId: id, eventName: 'Approve', eventData: { early: true } })).code,
    ).toBe(200);
    const done = await api.waitFor(id, undefined, 10_000, '&showHistory=true');
    expect(done.output).toEqual({ approval: { early: true } });
    const types = done.historyEvents!.map((e) => e.EventType);
    expect(types.indexOf('EventRaised')).toBeLessThan(types.indexOf('TaskCompleted'));
  });

  it('Task.any: the event wins over the timer and the timer is cancelled', async () => {
    const id = await api.start('approvalOrTimeout', { timeoutMs: 60_000 });
    await api.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await api.client('raiseEvent', { instanceId: id, eventName: 'Approve', eventData: 'ann' });
    const done = await api.waitFor(id, undefined, 5_000);
    expect(done.output).toEqual({ outcome: 'approved', by: 'ann' });
  });

  it('Task.any: the timer wins when no event comes', async () => {
    const started = Date.now();
    const id = await api.start('approvalOrTimeout', { timeoutMs: 400 });
    const done = await api.waitFor(id, undefined, 10_000);
    expect(done.output).toEqual({ outcome: 'timedOut' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('continues as new 100 times with a fresh, bounded history each time', async () => {
    const id = await api.start('counterLoop', { count: 0, until: 100 });
    const done = await api.waitFor(id, undefined, 30_000, '&showHistory=true');
    expect(done.output).toEqual({ finalCount: 100 });
    expect(done.input).toEqual({ count: 99, until: 100 });
    // Only the last execution's events remain: started, one activity, completed.
    expect(done.historyEvents!.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
  });

  it('runs sub-orchestrations and propagates their failures', async () => {
    const id = await api.start('parent', { n: 3 });
    const done = await api.waitFor(id);
    expect(done.output).toEqual({ results: [0, 2, 6], childFailure: 'TypeError: nobody catches this' });
    const child = await api.status(`${id}-failing-child`);
    expect(child.body.runtimeStatus).toBe('Failed');
  });

  it('fails an instance whose orchestrator stops replaying deterministically', async () => {
    const id = await api.start('nonDeterministic');
    await api.waitFor(id, (s) => s.runtimeStatus === 'Running', 10_000, '&showHistory=true');
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(path.join(host.dataDir, 'nondeterminism.flag'), 'on');
    try {
      await api.client('raiseEvent', { instanceId: id, eventName: 'Continue', eventData: null });
      const done = await api.waitFor(id);
      expect(done.runtimeStatus).toBe('Failed');
      expect(done.output).toMatch(/Non-deterministic workflow detected: action #0 was CallActivity\(echo\)/);
      expect(done.output).toContain('CallActivity(sayHello)');
    } finally {
      writeFileSync(path.join(host.dataDir, 'nondeterminism.flag'), '');
      (await import('node:fs')).rmSync(path.join(host.dataDir, 'nondeterminism.flag'));
    }
  });
});
