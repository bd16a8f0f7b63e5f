import { mlAssistSchema } from '../../shared/domain/project';
import { decideBlobCreated, decideBlobDeleted, type BlobFacts } from '../../shared/domain/blobFacts';
import {
  applyDelta,
  counterDelta,
  emptyCounters,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import type { Project } from '../../shared/domain/project';
import { taskIdFor, type Task } from '../../shared/domain/task';
import type { Store, TaskMutation, TaskQuery } from '../../shared/ports/store';

/** Builders and readers shared by the label store contract tests. */

export const now = '2025-01-02T03:04:05.000Z';
export const container = 'images';

export function aProject(id: string, overrides: Partial<Project> = {}): Project {
  return {
    id,
    name: `Project ${id}`,
    type: 'objectDetection',
    labels: [{ name: 'cat' }, { name: 'dog' }],
    instructions: '',
    dataset: { connectionSetting: 'AzureWebJobsStorage', container, prefix: '', extensions: ['jpg', 'png'] },
    mlAssist: mlAssistSchema.parse({
      enabled: true,
      initialTrainingThreshold: 250,
      additionalLabelsOnRejectedModel: 250,
    }),
    batchPolicy: { size: 75, leaseMinutes: 60 },
    incrementalRefresh: { enabled: true, intervalMinutes: 60 },
    status: 'active',
    createdAt: now,
    createdBy: 'admin@example.com',
    updatedAt: now,
    ...overrides,
  };
}

/** Event Grid sequencers are fixed-width strings; these compare the same way. */
export function sequencer(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function idOf(blobPath: string): string {
  return taskIdFor(container, blobPath);
}

export function facts(blobPath: string, seq: number, overrides: Partial<BlobFacts> = {}): BlobFacts {
  return {
    container,
    blobPath,
    blobUrl: `https://account.blob.core.windows.net/${container}/${blobPath}`,
    contentType: 'image/jpeg',
    sizeBytes: 1000 + seq,
    eTag: `"etag-${blobPath}-${seq}"`,
    sequencer: sequencer(seq),
    width: 640,
    height: 480,
    ...overrides,
  };
}

export function blobCreated(projectId: string, f: BlobFacts): { taskId: string; mutation: TaskMutation } {
  return {
    taskId: taskIdFor(f.container, f.blobPath),
    mutation: (existing) => decideBlobCreated(projectId, existing, f, now),
  };
}

export function blobDeleted(
  projectId: string,
  blobPath: string,
  seq: number,
): { taskId: string; mutation: TaskMutation } {
  const url = `https://account.blob.core.windows.net/${container}/${blobPath}`;
  return {
    taskId: idOf(blobPath),
    mutation: (existing) => decideBlobDeleted(projectId, existing, container, blobPath, url, sequencer(seq), now),
  };
}

/** Labels a task by hand (or by reviewing a prelabel), as the labeling service would. */
export function labeledBy(by: string, reviewed = false): TaskMutation {
  return (t) => {
    if (!t) return { kind: 'ignore', reason: 'no such task' };
    const { assignment: _done, ...rest } = t;
    const annotation = { boxes: [{ label: 'cat', x: 1, y: 2, width: 3, height: 4 }], by, at: now };
    return {
      kind: 'write',
      task: {
        ...rest,
        state: 'labeled',
        annotation: reviewed ? { ...annotation, prelabelOutcome: 'accepted' } : annotation,
      },
    };
  };
}

/** Attaches a model suggestion; `state` stays as given (a scored `new` task exists between inference and review). */
export function withPrelabel(confidence: number, state: Task['state'] = 'prelabeled'): TaskMutation {
  return (t) =>
    t
      ? { kind: 'write', task: { ...t, state, prelabel: { boxes: [], modelRunId: 'run-1', confidence, at: now } } }
      : { kind: 'ignore', reason: 'no such task' };
}

export function skippedBy(by: string): TaskMutation {
  return (t) =>
    t
      ? { kind: 'write', task: { ...t, state: 'skipped', skip: { by, at: now } } }
      : { kind: 'ignore', reason: 'no such task' };
}

/** Every task of a project (optionally filtered), following continuation tokens. */
export async function allTasks(
  store: Store,
  projectId: string,
  query: Omit<TaskQuery, 'limit' | 'continuationToken'> = {},
  limit = 50,
): Promise<Task[]> {
  const tasks: Task[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.tasks.list(projectId, { ...query, limit, continuationToken });
    tasks.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return tasks;
}

/** Every counter a project should have, computed from its tasks. */
export async function recountAll(store: Store, projectId: string): Promise<CounterDelta> {
  const total: CounterDelta = {};
  for (const task of await allTasks(store, projectId)) {
    for (const [key, n] of Object.entries(counterDelta(undefined, task))) {
      total[key] = (total[key] ?? 0) + n;
      if (total[key] === 0) delete total[key];
    }
  }
  return total;
}

/** The project counters a project should have, computed from its tasks. */
export async function recount(store: Store, projectId: string): Promise<ProjectCounters> {
  return applyDelta(emptyCounters(), await recountAll(store, projectId));
}

/** A labeler's submission with the fields the dashboard counts (boxes per class, time on task, prelabel outcome). */
export function submitted(
  by: string,
  at: string,
  boxes: Array<{ label: string }>,
  extra: { secondsOnTask?: number; prelabelOutcome?: 'accepted' | 'edited' | 'cleared'; prelabelRunId?: string } = {},
): TaskMutation {
  return (t) => {
    if (!t) return { kind: 'ignore', reason: 'no such task' };
    const { assignment: _done, ...rest } = t;
    const annotation = {
      boxes: boxes.map((b) => ({ label: b.label, x: 1, y: 1, width: 2, height: 2 })),
      by,
      at,
      ...extra,
    };
    return { kind: 'write', task: { ...rest, state: 'labeled', annotation } };
  };
}

export function skippedFor(by: string, at: string, reason?: 'noObjects' | 'badImage' | 'unsure'): TaskMutation {
  return (t) =>
    t
      ? { kind: 'write', task: { ...t, state: 'skipped', skip: { by, at, ...(reason ? { reason } : {}) } } }
      : { kind: 'ignore', reason: 'no such task' };
}

export function counters(byState: Partial<ProjectCounters['byState']>, labeledReviewed = 0): ProjectCounters {
  const c = emptyCounters();
  return { byState: { ...c.byState, ...byState }, labeledReviewed };
}

/** Deterministic shuffle (tests stay reproducible). */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
