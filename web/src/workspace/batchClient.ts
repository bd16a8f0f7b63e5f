import { api, projectPath } from '../api';
import type { Batch, Task } from '../types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks for a batch as docs/api.md describes: one Idempotency-Key for the request, and while the session is still
 * allocating (202) the status URL is polled until it names the batch.
 */
export async function requestBatch(projectId: string): Promise<Batch> {
  const key = crypto.randomUUID();
  const first = await api<Batch & { statusUrl?: string }>('POST', `${projectPath(projectId)}/batches`, {
    headers: { 'idempotency-key': key },
  });
  if (first.status === 200) return first.body;
  const statusUrl = first.headers.get('location') ?? first.body.statusUrl;
  if (!statusUrl) throw new Error('The server is allocating a batch but gave no status URL.');
  for (;;) {
    await sleep(Number(first.headers.get('retry-after') ?? 1) * 1000);
    const next = await api<Batch>('GET', statusUrl);
    if (next.status === 200) return next.body;
  }
}

/** The caller's live batch, or undefined when they hold none. */
export async function currentBatch(projectId: string): Promise<Batch | undefined> {
  try {
    return (await api<Batch>('GET', `${projectPath(projectId)}/batches/current`)).body;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/** Starts downloading the images of the next tasks, so the next one appears at once. */
const prefetched = new Map<string, HTMLImageElement>();
export function prefetch(tasks: Task[]): void {
  for (const t of tasks) {
    if (prefetched.has(t.imageUrl)) continue;
    const img = new Image();
    img.decoding = 'async';
    img.src = t.imageUrl;
    prefetched.set(t.imageUrl, img);
    if (prefetched.size > 64) prefetched.delete(prefetched.keys().next().value!);
  }
}
