import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { durableApi } from '../helpers/durable';

const app = 'dist/tests/fixtures/durable/*.js';

describe('crash recovery', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devhost-crash-'));
  let host: RunningDevhost | undefined;
  afterAll(async () => {
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes every instance after SIGKILL; activities may re-run, outputs are unchanged', async () => {
    host = await startDevhost({ app, dataDir });
    let api = durableApi(host);
    const key = 'crash';
    const log = path.join(dataDir, `slow-${key}.log`);
    const slow = await api.start('slowSequence', { key, steps: 6, ms: 1_000 });
    const waiting = await api.start('waitForApproval');
    const timed = await api.start('approvalOrTimeout', { timeoutMs: 1500 });

    // Kill mid-run: after some steps have started but before the last one (steps take a second each).
    const started = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && started() < 3) await new Promise((r) => setTimeout(r, 20));
    expect(await host.stop('SIGKILL')).toBeNull();
    const startedAtKill = started();
    expect(startedAtKill, 'the kill came after three steps had started').toBeGreaterThanOrEqual(3);
    expect(startedAtKill, 'and before the last one: the run was cut short').toBeLessThan(6);

    host = await startDevhost({ app, dataDir });
    api = durableApi(host);
    const done = await api.waitFor(slow, undefined, 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual([0, 1, 2, 3, 4, 5]);
    const starts = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    for (let step = 0; step < 6; step++) expect(starts).toContain(step);

    // A waiting instance still receives events, and a durable timer set before the crash still fires.
    expect((await api.status(waiting)).body.runtimeStatus).toBe('Running');
    await api.client('raiseEvent', { instanceId: waiting, eventName: 'Approve', eventData: 'after restart' });
    expect((await api.waitFor(waiting)).output).toEqual({ approval: 'after restart' });
    expect((await api.waitFor(timed, undefined, 15_000)).output).toEqual({ outcome: 'timedOut' });
  });
});
