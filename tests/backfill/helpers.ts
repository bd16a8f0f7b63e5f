import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from '../../devhost/services/azurite';
import { uploadDemoImages, type DemoUploadOptions } from '../../scripts/demo/demoUpload';
import type { DevUser, RunningDevhost } from '../helpers/devhost';
import type { BackfillProgress } from '../../shared/domain/backfill';

/** Callers as devhost's front door knows them ($DATA_DIR/users.json, `Authorization: Bearer <token>`). */
export const admin: DevUser = {
  id: 'backfill-admin',
  name: 'Backfill Admin',
  roles: ['admin'],
  token: 'backfill-admin-token',
};
export const labeler: DevUser = {
  id: 'backfill-labeler',
  name: 'Backfill Labeler',
  roles: ['labeler'],
  token: 'backfill-labeler-token',
};
export const users = [admin, labeler];

export function headersFor(user: DevUser): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}

/** A standalone Azurite: storage that stays up while devhost is stopped or killed (no Event Grid bridge). */
export async function startStandaloneAzurite(): Promise<RunningAzurite & { cleanup(): void }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'backfill-azurite-'));
  const quiet = () => undefined;
  const azurite = await startAzurite({
    dataDir,
    port: 0,
    logger: { info: quiet, warn: quiet, error: quiet, functionLog: quiet, invocation: quiet },
  });
  return { ...azurite, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

export async function demoContainer(connectionString: string, name: string): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name);
  await container.createIfNotExists();
  return container;
}

/** Small demo images: the tests count tasks, they do not need megapixels. */
export function uploadSmallImages(container: ContainerClient, options: Omit<DemoUploadOptions, 'minSize' | 'maxSize'>) {
  return uploadDemoImages(container, { minSize: 40, maxSize: 96, concurrency: 32, ...options });
}

export interface BackfillView {
  instanceId: string;
  runtimeStatus: string;
  customStatus: BackfillProgress | null;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface ProjectView {
  id: string;
  counters: { byState: Record<string, number>; total: number };
  backfill: BackfillView | null;
}

export interface TaskView {
  id: string;
  blobPath: string;
  width: number | null;
  height: number | null;
  state: string;
}

/** The app's HTTP API as an admin calls it. */
export function adminApi(host: () => RunningDevhost) {
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${host().baseUrl}/api/${route}`, {
      method,
      headers: { ...headersFor(admin), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  async function project(id: string): Promise<ProjectView> {
    const res = await call('GET', `projects/${id}`);
    if (res.status !== 200) throw new Error(`GET project ${id} → ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as ProjectView;
  }

  return {
    call,
    project,
    async createProject(id: string, container: string): Promise<ProjectView> {
      const res = await call('POST', 'projects', {
        id,
        name: `Backfill ${id}`,
        type: 'objectDetection',
        labels: [{ name: 'circle' }, { name: 'square' }, { name: 'triangle' }],
        dataset: { container },
      });
      if (res.status !== 201) throw new Error(`create ${id} → ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as ProjectView;
    },
    async refresh(id: string): Promise<{ instanceId: string; started: boolean; statusUrl: string }> {
      const res = await call('POST', `projects/${id}/refresh`);
      if (res.status !== 202) throw new Error(`refresh ${id} → ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { instanceId: string; started: boolean; statusUrl: string };
    },
    /**
     * Polls the project until its backfill run (the one started after `since`, if given) has completed; every
     * status seen on the way is handed to `onStatus`.
     */
    async waitForBackfill(
      id: string,
      options: { since?: string; timeoutMs?: number; onStatus?: (b: BackfillView) => void } = {},
    ): Promise<ProjectView> {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      let last: ProjectView | undefined;
      while (Date.now() < deadline) {
        last = await project(id);
        const b = last.backfill;
        if (b?.customStatus && (!options.since || b.customStatus.startedAt > options.since)) {
          options.onStatus?.(b);
          if (['Failed', 'Terminated'].includes(b.runtimeStatus))
            throw new Error(`backfill ${b.runtimeStatus}: ${JSON.stringify(b)}`);
          // Read again: the counters in the same response were read before the status, possibly mid-write.
          if (b.runtimeStatus === 'Completed') return project(id);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`backfill of ${id} did not complete; last seen: ${JSON.stringify(last)}`);
    },
    /** Every task of the project, paging through the tasks API. */
    async allTasks(id: string, state?: string): Promise<TaskView[]> {
      const tasks: TaskView[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ limit: '1000' });
        if (state) query.set('state', state);
        if (token) query.set('continuationToken', token);
        const res = await call('GET', `projects/${id}/tasks?${query}`);
        if (res.status !== 200) throw new Error(`tasks of ${id} → ${res.status}: ${JSON.stringify(res.body)}`);
        const page = res.body as { items: TaskView[]; continuationToken?: string };
        tasks.push(...page.items);
        token = page.continuationToken;
      } while (token);
      return tasks;
    },
  };
}
