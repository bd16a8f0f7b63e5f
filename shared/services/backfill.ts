import {
  decideBlobMissing,
  needsExistenceCheck,
  type CheckPageResult,
  type ListPageResult,
  type PrepareResult,
} from '../domain/backfill';
import { liveTotal } from '../domain/counters';
import type { Project } from '../domain/project';
import type { Task } from '../domain/task';
import type { BlobGateway, BlobLocation } from '../ports/blobGateway';
import type { Store } from '../ports/store';
import { IngestionService } from './ingestion';
import { mapBounded } from '../util/mapBounded';

export interface BackfillServiceOptions {
  /** Blobs per listing page (Azure allows up to 5,000). */
  listPageSize?: number;
  /** Tasks per reconciliation page. */
  checkPageSize?: number;
  /** Existence checks in flight at once. */
  checkConcurrency?: number;
  now?: () => Date;
}

/** Azure answers a listing of a container that does not exist with 404 (ContainerNotFound). */
function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

const noProject = 'the project no longer exists or is archived';

/**
 * The steps of a backfill/reconciliation run, one page at a time (each is one activity call, so each must be safe
 * to repeat: registration and removal both go through the store's sequencer-aware decisions).
 */
export class BackfillService {
  readonly #store: Store;
  readonly #blobs: BlobGateway;
  readonly #listPageSize: number;
  readonly #checkPageSize: number;
  readonly #checkConcurrency: number;
  readonly #now: () => Date;

  constructor(deps: { store: Store; blobs: BlobGateway }, options: BackfillServiceOptions = {}) {
    this.#store = deps.store;
    this.#blobs = deps.blobs;
    this.#listPageSize = options.listPageSize ?? 1000;
    this.#checkPageSize = options.checkPageSize ?? 500;
    this.#checkConcurrency = options.checkConcurrency ?? 32;
    this.#now = options.now ?? (() => new Date());
  }

  async #activeProject(projectId: string): Promise<Project | undefined> {
    const project = (await this.#store.projects.get(projectId))?.value;
    return project && project.status !== 'archived' ? project : undefined;
  }

  async prepare(projectId: string): Promise<PrepareResult> {
    const project = await this.#activeProject(projectId);
    if (!project) return { skip: noProject, tasksBefore: 0 };
    const { connectionSetting, container } = project.dataset;
    try {
      this.#blobs.accountName({ connectionSetting, container });
    } catch (err) {
      // A setting that is missing or does not parse fails every page the same way: say so now, not after retries.
      const why = err instanceof Error ? err.message : String(err);
      return { skip: `the storage connection setting ${connectionSetting} is not usable: ${why}`, tasksBefore: 0 };
    }
    const counters = await this.#store.tasks.counters(projectId);
    return { tasksBefore: liveTotal(counters) };
  }

  /** Lists one page of the project's dataset and registers it; the token says where the next page starts. */
  async listAndRegisterPage(projectId: string, continuationToken?: string): Promise<ListPageResult> {
    const empty = { listed: 0, registered: 0, alreadyKnown: 0, rejected: 0 };
    const project = await this.#activeProject(projectId);
    if (!project) return { ...empty, note: noProject };
    const { dataset } = project;
    let page;
    try {
      page = await this.#blobs.listBlobs(
        { connectionSetting: dataset.connectionSetting, container: dataset.container },
        dataset.prefix,
        this.#listPageSize,
        continuationToken,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return { ...empty, note: `container '${dataset.container}' does not exist` };
    }
    const counts = page.items.length
      ? await new IngestionService({ store: this.#store, blobs: this.#blobs }).registerListedBlobs(project, page.items)
      : { registered: 0, alreadyKnown: 0, rejected: 0 };
    return {
      listed: page.items.length,
      registered: counts.registered,
      alreadyKnown: counts.alreadyKnown,
      rejected: counts.rejected,
      continuationToken: page.continuationToken,
    };
  }

  /**
   * Checks one page of the project's tasks against storage and marks those whose blob is gone as removed.
   *
   * Why existence checks rather than comparing against the listing: tasks are stored in id order (a hash of the
   * path) and listings come in name order, so a merge would need the whole listing held somewhere (1M+ names in
   * orchestration state). A ranged 1-byte read per live task costs one cheap read operation, is bounded per page,
   * and is exact.
   */
  async checkTaskPage(projectId: string, createdBefore: string, continuationToken?: string): Promise<CheckPageResult> {
    const project = await this.#activeProject(projectId);
    if (!project) return { checked: 0, markedRemoved: 0 };
    const page = await this.#store.tasks.list(projectId, { limit: this.#checkPageSize, continuationToken });
    const candidates = page.items.filter((t) => needsExistenceCheck(t, createdBefore));
    const location = (t: Task): BlobLocation => ({
      connectionSetting: project.dataset.connectionSetting,
      container: t.container,
    });
    const heads = await mapBounded(candidates, this.#checkConcurrency, (t) =>
      this.#blobs.readHead(location(t), t.blobPath, 1),
    );
    const missing = candidates.filter((_, i) => heads[i] === undefined);
    let markedRemoved = 0;
    if (missing.length) {
      const now = this.#now().toISOString();
      const results = await this.#store.tasks.mutateMany(
        projectId,
        missing.map((checked) => ({
          taskId: checked.id,
          mutation: (existing: Task | undefined) => decideBlobMissing(projectId, existing, checked, now),
        })),
      );
      markedRemoved = results.filter((r) => r.outcome === 'written').length;
    }
    return { checked: candidates.length, markedRemoved, continuationToken: page.continuationToken };
  }
}
