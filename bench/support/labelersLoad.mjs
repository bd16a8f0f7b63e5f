// Labelers submitting paced, in a worker thread: the load generator gets its own event loop, so the latency the
// main thread measures for another request (the dashboard) is the host's, not the time its own callbacks waited
// behind twenty labelers' responses. Each labeler asks for a batch, then submits its tasks one by one with a random
// 0.5–1.5 × thinkMs pause before each submission, until the deadline, then hands the rest of its batch back.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Runs the labelers for `seconds` in a worker; resolves with the submission count and their latencies (ms). */
export function labelersSubmittingInWorker({ baseUrl, projectId, labelers, thinkMs, seconds, keyPrefix }) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { baseUrl, projectId, labelers, thinkMs, seconds, keyPrefix },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`labelers' worker exited with ${code}`)));
  });
}

async function call(baseUrl, method, route, token, body, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/api/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function submitUntil({ baseUrl, projectId, labelers, thinkMs, seconds, keyPrefix }) {
  const deadline = performance.now() + seconds * 1000;
  const latencies = [];
  const labeler = async (user, index) => {
    for (let round = 0; performance.now() < deadline; round++) {
      let batch;
      for (;;) {
        const res = await call(baseUrl, 'POST', `projects/${projectId}/batches`, user.token, undefined, {
          'idempotency-key': `${keyPrefix}-${index}-${round}`,
        });
        if (res.status === 200) {
          batch = JSON.parse(res.text);
          break;
        }
        if (res.status !== 202) throw new Error(`POST batches → ${res.status} ${res.text}`);
      }
      for (const t of batch.tasks) {
        if (performance.now() >= deadline) break;
        await sleep(thinkMs * (0.5 + Math.random()));
        const res = await call(baseUrl, 'PUT', `projects/${projectId}/tasks/${t.taskId}/annotation`, user.token, {
          boxes: [{ label: 'person', x: 100, y: 80, width: 120, height: 200 }],
          secondsOnTask: 4,
        });
        if (res.status !== 200) throw new Error(`PUT annotation → ${res.status} ${res.text}`);
        latencies.push(res.ms);
      }
    }
    // The rest of the batch goes back to the pool, so a later run's labelers get fresh images, not this batch again.
    const res = await call(baseUrl, 'POST', `projects/${projectId}/batches/current/release`, user.token);
    if (res.status !== 200 && res.status !== 404) throw new Error(`POST release → ${res.status} ${res.text}`);
  };
  await Promise.all(labelers.map(labeler));
  return { submissions: latencies.length, latencies };
}

if (!isMainThread) parentPort.postMessage(await submitUntil(workerData));
