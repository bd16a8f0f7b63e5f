#!/usr/bin/env node
// Benchmarks devhost end to end: a real devhost process, real HTTP, the real durable-functions SDK.
// Usage: npm run bench [-- --only http,sequential,fanout,events]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForReady } from './support/devhostProcess.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const onlyIndex = process.argv.indexOf('--only');
const only = (onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '') : '').split(',').filter(Boolean);
const want = (name) => only.length === 0 || only.includes(name);

const keys = {
  masterKey: 'bench-master',
  systemKeys: { durabletask_extension: 'bench-durable', eventgrid_extension: 'bench-eg' },
  functionKeys: { default: 'bench-fn' },
};

async function startHost() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devhost-bench-'));
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'host-keys.json'), JSON.stringify(keys));
  const child = spawn(process.execPath, ['dist/devhost/cli.js', '--app', 'dist/bench/fixtures/*.js', '--no-services'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DEVHOST_LOG_INVOCATIONS: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await waitForReady(child);
  return {
    baseUrl,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startOrchestration(host, name, input) {
  const res = await fetch(
    `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/${name}?code=${keys.systemKeys.durabletask_extension}`,
    {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { 'content-type': 'application/json' },
    },
  );
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

async function waitDone(host, id, pollMs = 10) {
  for (;;) {
    const res = await fetch(
      `${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}?code=${keys.systemKeys.durabletask_extension}`,
    );
    const body = await res.json();
    if (['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus)) {
      if (body.runtimeStatus !== 'Completed') throw new Error(`${id}: ${JSON.stringify(body)}`);
      return body;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function pool(concurrency, total, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

const results = [];
function record(name, value, unit, detail) {
  results.push({ name, value: Math.round(value), unit, detail });
  console.log(`${name}: ${Math.round(value)} ${unit} (${detail})`);
}

const host = await startHost();
try {
  if (want('http')) {
    const total = 20_000;
    const t0 = performance.now();
    await pool(32, total, async () => {
      const res = await fetch(`${host.baseUrl}/api/ping`);
      await res.text();
      if (res.status !== 200) throw new Error(`ping ${res.status}`);
    });
    const s = (performance.now() - t0) / 1000;
    record('HTTP requests/s (trivial function)', total / s, 'req/s', `${total} GETs, 32 concurrent, keep-alive`);
  }
  if (want('sequential')) {
    const n = 1000;
    const t0 = performance.now();
    const out = await waitDone(host, await startOrchestration(host, 'benchSequential', { n }));
    const s = (performance.now() - t0) / 1000;
    if (out.output !== n) throw new Error('wrong sequential output');
    record('Sequential activities/s', n / s, 'activities/s', `one orchestration, ${n} activities in sequence`);
  }
  if (want('fanout')) {
    const n = 10_000;
    const t0 = performance.now();
    const out = await waitDone(host, await startOrchestration(host, 'benchFanOut', { n }), 20);
    const s = (performance.now() - t0) / 1000;
    if (out.output !== n) throw new Error('wrong fan-out output');
    record('Fan-out/fan-in activities/s', n / s, 'activities/s', `one orchestration, Task.all over ${n} activities`);
  }
  if (want('events')) {
    const n = 5_000;
    const id = await startOrchestration(host, 'benchEvents', { n });
    const t0 = performance.now();
    await pool(32, n, async () => {
      const res = await fetch(
        `${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/tick?code=${keys.systemKeys.durabletask_extension}`,
        { method: 'POST', body: 'null', headers: { 'content-type': 'application/json' } },
      );
      await res.text();
      if (res.status !== 202) throw new Error(`raiseEvent ${res.status}`);
    });
    const out = await waitDone(host, id);
    const s = (performance.now() - t0) / 1000;
    if (out.output !== n) throw new Error('wrong event count');
    record(
      'External events/s',
      n / s,
      'events/s',
      `${n} raiseEvent calls over HTTP (32 concurrent) until the orchestrator consumed all`,
    );
  }
} finally {
  await host.stop();
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, 'bench/results/devhost.json'),
  JSON.stringify({ date: new Date().toISOString(), machine, command: 'npm run bench', results }, null, 2),
);
console.log(`\nmachine: ${machine}`);
