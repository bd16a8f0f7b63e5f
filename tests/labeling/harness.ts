import { demoContainer, uploadSmallImages } from '../backfill/helpers';
import { startDevhost, type DevUser, type RunningDevhost } from '../helpers/devhost';

// What the labeling tests share: a devhost with Azurite, users by role, a small API client, projects seeded with
// demo images (registered by the backfill), and a labeler that works through batches until nothing is left.

export const admin: DevUser = { id: 'ada', name: 'Ada Admin', roles: ['admin'], token: 'labeling-admin-token' };

/** Labelers `prefix-01` … with tokens `prefix-01-token`. */
export function labelers(count: number, prefix = 'labeler'): DevUser[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${String(i + 1).padStart(2, '0')}`;
    return { id, name: id, roles: ['labeler'], token: `${id}-token` };
  });
}

export interface LabelingHost {
  host: RunningDevhost;
  /** Azurite's connection string (the host's AzureWebJobsStorage), for uploading demo images. */
  storage: string;
}

/** One devhost with Azurite and the blob → Event Grid bridge, knowing `users` as bearer tokens. */
export async function startLabelingHost(users: DevUser[], env: Record<string, string> = {}): Promise<LabelingHost> {
  const host = await startDevhost({ services: true, users: [admin, ...users], env, startTimeoutMs: 60_000 });
  const line = await host.waitForOutput(/Azurite blob connection string: (\S+)/);
  return { host, storage: /Azurite blob connection string: (\S+)/.exec(line)![1]! };
}

export interface Response<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Call {
  token?: string;
  /** JSON-encoded with `content-type: application/json` unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export type Api = ReturnType<typeof labelingApi>;

/** The app's HTTP API on a running devhost; `route` is below `/api/`. */
export function labelingApi(host: () => RunningDevhost) {
  async function call<T = Record<string, unknown>>(method: string, route: string, c: Call = {}): Promise<Response<T>> {
    const headers: Record<string, string> = {};
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    let body = c.rawBody;
    if (body === undefined && c.body !== undefined) {
      body = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${host().baseUrl}/api/${route}`, { method, body, headers: { ...headers, ...c.headers } });
    const text = await res.text();
    let parsed: unknown = {};
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { text };
      }
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
  return { call };
}

export interface TaskItem {
  taskId: string;
  imageUrl: string;
  width: number | null;
  height: number | null;
  state: string;
  prelabel?: { boxes?: Box[] };
  annotation?: { boxes?: Box[]; by: string; prelabelOutcome?: string };
}

export interface BatchBody {
  batchId: string;
  state: string;
  leaseExpiresAt: string;
  tasks: TaskItem[];
  remaining: number;
  reason?: string;
}

export interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ProblemBody {
  status: number;
  title: string;
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; message: string }>;
}

export interface Counters {
  byState: Record<string, number>;
  total: number;
}

/** A box well inside the image (the tests know every demo image's size from its task). */
export function boxInside(task: Pick<TaskItem, 'width' | 'height'>, label = 'circle'): Box {
  const w = task.width ?? 40;
  const h = task.height ?? 40;
  return { label, x: Math.floor(w / 4), y: Math.floor(h / 4), width: Math.floor(w / 2), height: Math.floor(h / 2) };
}

export interface ProjectSeed {
  id: string;
  images: number;
  batchPolicy?: { size?: number; leaseMinutes?: number };
  initialTrainingThreshold?: number;
  /** Labelers added as members. */
  members?: DevUser[];
}

/**
 * Uploads `images` small demo images to container `id`, creates the project on it (its backfill registers them)
 * and waits until every image is a `new` task; then adds the members.
 */
export async function seedProject(api: Api, storage: string, seed: ProjectSeed): Promise<void> {
  const container = await demoContainer(storage, seed.id);
  if (seed.images > 0) await uploadSmallImages(container, { count: seed.images });
  const created = await api.call('POST', 'projects', {
    token: admin.token,
    body: {
      id: seed.id,
      name: `Labeling ${seed.id}`,
      type: 'objectDetection',
      labels: [{ name: 'circle' }, { name: 'square' }, { name: 'triangle' }],
      dataset: { container: seed.id },
      mlAssist: { initialTrainingThreshold: seed.initialTrainingThreshold ?? 250 },
      ...(seed.batchPolicy ? { batchPolicy: seed.batchPolicy } : {}),
    },
  });
  if (created.status !== 201) throw new Error(`create ${seed.id} → ${created.status}: ${JSON.stringify(created.body)}`);
  await waitFor(`${seed.images} new tasks in ${seed.id}`, 120_000, async () => {
    const c = await counters(api, seed.id);
    return c.byState.new === seed.images ? c : undefined;
  });
  for (const m of seed.members ?? []) await addMember(api, seed.id, m.id);
}

export async function addMember(api: Api, projectId: string, userId: string, role = 'labeler'): Promise<void> {
  const res = await api.call('PUT', `projects/${projectId}/members/${userId}`, { token: admin.token, body: { role } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`member ${userId} → ${res.status}`);
}

export async function counters(api: Api, projectId: string): Promise<Counters> {
  const res = await api.call<{ counters: Counters }>('GET', `projects/${projectId}`, { token: admin.token });
  if (res.status !== 200) throw new Error(`GET project ${projectId} → ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.counters;
}

/** Polls `probe` until it returns a value; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `POST …/batches` as a labeling frontend does it: a 202 (allocation still running) is retried with the same
 * Idempotency-Key, so the answer is the batch of that one request.
 */
export async function requestBatch(api: Api, projectId: string, token: string, key: string): Promise<BatchBody> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const res = await api.call<BatchBody>('POST', `projects/${projectId}/batches`, {
      token,
      headers: { 'idempotency-key': key },
    });
    if (res.status === 200) return res.body;
    if (res.status !== 202) throw new Error(`POST batches → ${res.status}: ${JSON.stringify(res.body)}`);
    await sleep(200);
  }
  throw new Error(`POST batches kept answering 202 for key ${key}`);
}

export const nothingLeft = /Nothing is left/;

export interface LabelerRun {
  labelerId: string;
  /** Every batch handed to this labeler, in order. */
  batches: BatchBody[];
  /** Task ids this labeler labeled (each accepted submission). */
  labeled: string[];
}

/**
 * One labeler's day: request a batch, annotate every task in it with a box inside the image, and repeat until the
 * answer is an empty batch because nothing is left. An empty batch because everything left is in other labelers'
 * batches means "ask again soon". `onLabeled` runs after every accepted submission.
 */
export async function labelUntilDone(
  api: Api,
  projectId: string,
  user: DevUser,
  onLabeled: (taskId: string) => void = () => undefined,
): Promise<LabelerRun> {
  const run: LabelerRun = { labelerId: user.id, batches: [], labeled: [] };
  for (let round = 0; ; round++) {
    const batch = await requestBatch(api, projectId, user.token, `${user.id}-${round}`);
    run.batches.push(batch);
    if (batch.tasks.length === 0) {
      if (nothingLeft.test(batch.reason ?? '')) return run;
      await sleep(100);
      continue;
    }
    const open = batch.tasks.filter((t) => t.state === 'assigned');
    // A non-empty batch with nothing left to do would be handed out forever: that is a bug worth failing on.
    if (open.length === 0) throw new Error(`${user.id} got batch ${batch.batchId} with no open task`);
    for (const task of open) {
      const res = await api.call<{ unchanged: boolean }>(
        'PUT',
        `projects/${projectId}/tasks/${task.taskId}/annotation`,
        {
          token: user.token,
          body: { boxes: [boxInside(task)], secondsOnTask: 3 },
        },
      );
      if (res.status !== 200) {
        throw new Error(`${user.id} annotating ${task.taskId} → ${res.status}: ${JSON.stringify(res.body)}`);
      }
      run.labeled.push(task.taskId);
      if (!res.body.unchanged) onLabeled(task.taskId);
    }
  }
}

/** Where each task was handed out: `taskId → batchIds` across every labeler's batches (a batch seen twice counts once). */
export function servedIn(runs: LabelerRun[]): Map<string, Set<string>> {
  const served = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const batch of run.batches) {
      for (const t of batch.tasks) {
        const owners = served.get(t.taskId) ?? new Set<string>();
        owners.add(`${run.labelerId}/${batch.batchId}`);
        served.set(t.taskId, owners);
      }
    }
  }
  return served;
}
