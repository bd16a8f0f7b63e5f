import { belongsToDataset } from '../domain/blobFacts';
import type { Project } from '../domain/project';
import type { ProjectRepository } from '../ports/store';

export interface ProjectDirectoryOptions {
  /** How long a loaded project list is reused. */
  ttlMs?: number;
  /** A blob that matches no project re-reads the list if the cached one is older than this. */
  missRecheckMs?: number;
  clock?: () => number;
}

/** Project writes made in this process (see `noteProjectsChanged`). */
let localWrites = 0;

/**
 * Called by the project service after it creates, updates or archives a project: every directory of this process
 * reads the list again on its next use, so an event for a blob of a project created a moment ago in this process is
 * never matched against the list read before it existed.
 */
export function noteProjectsChanged(): void {
  localWrites++;
}

/**
 * Which projects a blob belongs to, from a briefly cached project list: every blob event needs the answer and the
 * list changes rarely, so one store read serves thousands of events.
 *
 * Staleness: a project written in this process is seen at once (`noteProjectsChanged`). One written by another
 * instance is seen within `ttlMs` (5 s); a blob that matches no cached project re-reads the list once the cache is
 * older than `missRecheckMs` (0.5 s), so such a new project misses only events delivered within about half a second
 * of its creation; its backfill lists the container after the project exists, and the periodic reconciliation
 * covers the rest. An archived project may still receive tasks for up to `ttlMs` there, which is harmless (archived
 * projects are not labeled or exported).
 */
export class ProjectDirectory {
  readonly #repo: ProjectRepository;
  readonly #ttlMs: number;
  readonly #missRecheckMs: number;
  readonly #clock: () => number;
  #cache: { loadedAt: number; writes: number; projects: Project[] } | undefined;
  #loading: Promise<Project[]> | undefined;

  constructor(repo: ProjectRepository, options: ProjectDirectoryOptions = {}) {
    this.#repo = repo;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#missRecheckMs = options.missRecheckMs ?? 500;
    this.#clock = options.clock ?? Date.now;
  }

  /** Non-archived projects whose dataset (container + prefix) holds this blob. */
  async projectsFor(container: string, blobPath: string): Promise<Project[]> {
    const matching = (projects: Project[]) =>
      projects.filter((p) => p.status !== 'archived' && belongsToDataset(p.dataset, container, blobPath));
    const found = matching(await this.#projects(this.#ttlMs));
    if (found.length > 0) return found;
    return matching(await this.#projects(this.#missRecheckMs));
  }

  async #projects(maxAgeMs: number): Promise<Project[]> {
    const cache = this.#cache;
    if (cache && cache.writes === localWrites && this.#clock() - cache.loadedAt < maxAgeMs) return cache.projects;
    // Concurrent invocations share one load instead of each reading the store.
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(): Promise<Project[]> {
    // Noted before the read: a write that lands while it runs leaves this list marked stale.
    const startedAt = this.#clock();
    const writes = localWrites;
    const projects = await this.#repo.list();
    this.#cache = { loadedAt: startedAt, writes, projects };
    return projects;
  }
}
