import type { BlobCreatedChange, BlobDeletedChange } from '../domain/blobEvent';
import { decideBlobCreated, decideBlobDeleted, isAcceptedExtension, type BlobFacts } from '../domain/blobFacts';
import { extensionOf } from '../domain/imageTypes';
import type { Project } from '../domain/project';
import { taskIdFor, type TaskState } from '../domain/task';
import type { BlobGateway, BlobLocation, ListedBlob } from '../ports/blobGateway';
import type { Store, MutationResult, TaskMutation } from '../ports/store';
import { defaultHeaderReadLimits, readImageHeader, type HeaderRead, type HeaderReadLimits } from './imageHeaderReader';
import { ProjectDirectory, type ProjectDirectoryOptions } from './projectDirectory';
import { mapBounded } from '../util/mapBounded';

export interface IngestionDeps {
  store: Store;
  blobs: BlobGateway;
  now?: () => string;
  headerLimits?: HeaderReadLimits;
  /** Header reads in flight at once while registering a listing page. */
  listingConcurrency?: number;
  projectCache?: ProjectDirectoryOptions;
}

/** What one blob change did to one project's task. */
export interface IngestOutcome {
  projectId: string;
  taskId: string;
  outcome: 'written' | 'ignored';
  /** The task's state after a write. */
  state?: TaskState;
  /** Why it was ignored, or why the written task is rejected. */
  reason?: string;
}

export interface ListingRegistration {
  /** New tasks that hold an image. */
  registered: number;
  /** Blobs the project already had a task for (from events or an earlier listing): left as they are. */
  alreadyKnown: number;
  /** New tasks recorded as rejected (unsupported type, unreadable header), with the reason on the task. */
  rejected: number;
}

const defaultListingConcurrency = 16;

function locationOf(project: Project): BlobLocation {
  return { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
}

function extensionReason(project: Project, blobPath: string): string {
  const ext = extensionOf(blobPath);
  const accepted = project.dataset.extensions.join(', ');
  return ext === ''
    ? `the file name has no extension (accepted: ${accepted})`
    : `the extension ".${ext}" is not accepted by this project (accepted: ${accepted})`;
}

function outcomeOf(projectId: string, result: MutationResult): IngestOutcome {
  if (result.outcome === 'ignored') {
    return {
      projectId,
      taskId: result.taskId,
      outcome: 'ignored',
      ...(result.reason ? { reason: result.reason } : {}),
    };
  }
  const reason = result.task?.rejectReason;
  return {
    projectId,
    taskId: result.taskId,
    outcome: 'written',
    state: result.task!.state,
    ...(reason ? { reason } : {}),
  };
}

type BlobBasics = Omit<BlobFacts, 'width' | 'height' | 'rejectReason'>;

/**
 * What a blob is to one project: an image with its size, or a reject with the reason; undefined when the blob is
 * gone. The header is read only when the project accepts the blob's extension.
 */
async function factsFor(
  project: Project,
  blob: BlobBasics,
  readHeader: () => Promise<HeaderRead>,
): Promise<BlobFacts | undefined> {
  if (!isAcceptedExtension(project.dataset, blob.blobPath)) {
    return { ...blob, width: null, height: null, rejectReason: extensionReason(project, blob.blobPath) };
  }
  const header = await readHeader();
  if (header.kind === 'gone') return undefined;
  return header.kind === 'image'
    ? { ...blob, width: header.header.width, height: header.header.height }
    : { ...blob, width: null, height: null, rejectReason: header.reason };
}

/**
 * Turns blobs into labeling tasks: from Event Grid changes (one blob, every matching project) and from container
 * listings (backfill and reconciliation, one project).
 *
 * Every write goes through `store.tasks.mutate(s)` with the pure decisions of shared/domain/blobFacts.ts, so
 * redelivered, reordered and concurrent events converge on the same tasks. Blobs that cannot be labeled are
 * recorded as rejected tasks with the reason; a blob that no longer exists is skipped (its delete is handled by
 * its own event). Transient storage and store failures propagate, so Event Grid (or Durable) retries.
 */
export class IngestionService {
  readonly #store: Store;
  readonly #blobs: BlobGateway;
  readonly #now: () => string;
  readonly #limits: HeaderReadLimits;
  readonly #listingConcurrency: number;
  readonly #projects: ProjectDirectory;

  constructor(deps: IngestionDeps) {
    this.#store = deps.store;
    this.#blobs = deps.blobs;
    this.#now = deps.now ?? (() => new Date().toISOString());
    this.#limits = deps.headerLimits ?? defaultHeaderReadLimits;
    this.#listingConcurrency = deps.listingConcurrency ?? defaultListingConcurrency;
    this.#projects = new ProjectDirectory(deps.store.projects, deps.projectCache);
  }

  /**
   * The projects an event is for: on the event's container and prefix, and bound to the storage account that sent
   * it. A project's account comes from its connection setting; an event from any other account (a second storage
   * account with a container of the same name, or a forged topic) is not theirs.
   */
  async #projectsFor(change: BlobCreatedChange | BlobDeletedChange): Promise<Project[]> {
    const candidates = await this.#projects.projectsFor(change.container, change.blobPath);
    const sender = change.storageAccount?.toLowerCase();
    if (!sender) return [];
    return candidates.filter((project) => this.#accountOf(project)?.toLowerCase() === sender);
  }

  #accountOf(project: Project): string | undefined {
    try {
      return this.#blobs.accountName(locationOf(project));
    } catch {
      return undefined; // its connection setting is missing or broken: no event can be matched to it
    }
  }

  async onBlobCreated(change: BlobCreatedChange): Promise<IngestOutcome[]> {
    const projects = await this.#projectsFor(change);
    // Projects reading the same account share one header read.
    const headers = new Map<string, Promise<HeaderRead>>();
    const headerFor = (project: Project) => {
      const key = project.dataset.connectionSetting;
      let read = headers.get(key);
      if (!read) {
        read = readImageHeader(this.#blobs, locationOf(project), change.blobPath, this.#limits);
        headers.set(key, read);
      }
      return read;
    };

    const taskId = taskIdFor(change.container, change.blobPath);
    return Promise.all(
      projects.map(async (project): Promise<IngestOutcome> => {
        // The URL is the project's own account's, built from the subject's path: never `data.url` from the event.
        const blob: BlobBasics = {
          container: change.container,
          blobPath: change.blobPath,
          blobUrl: this.#blobs.blobUrl(locationOf(project), change.blobPath),
          contentType: change.contentType,
          sizeBytes: change.sizeBytes,
          eTag: change.eTag,
          sequencer: change.sequencer,
        };
        const facts = await factsFor(project, blob, () => headerFor(project));
        if (!facts) return { projectId: project.id, taskId, outcome: 'ignored', reason: 'the blob no longer exists' };
        const now = this.#now();
        const result = await this.#store.tasks.mutate(project.id, taskId, (existing) =>
          decideBlobCreated(project.id, existing, facts, now),
        );
        return outcomeOf(project.id, result);
      }),
    );
  }

  async onBlobDeleted(change: BlobDeletedChange): Promise<IngestOutcome[]> {
    const projects = await this.#projectsFor(change);
    const taskId = taskIdFor(change.container, change.blobPath);
    return Promise.all(
      projects.map(async (project) => {
        const now = this.#now();
        const result = await this.#store.tasks.mutate(project.id, taskId, (existing) =>
          decideBlobDeleted(
            project.id,
            existing,
            change.container,
            change.blobPath,
            this.#blobs.blobUrl(locationOf(project), change.blobPath),
            change.sequencer,
            now,
          ),
        );
        return outcomeOf(project.id, result);
      }),
    );
  }

  /**
   * Registers one listing page of the project's container (backfill, refresh, reconciliation). Blobs the project
   * already knows are counted and left alone without reading them, so re-listing a large container costs store
   * point reads, not blob reads. The rest have their headers read (bounded concurrency) and are written in one
   * `mutateTasks` call. A listing has no sequencer (''), so it never overrides what an event recorded. A listed
   * blob deleted before its header could be read is in none of the counts.
   */
  async registerListedBlobs(project: Project, blobs: ListedBlob[]): Promise<ListingRegistration> {
    const container = project.dataset.container;
    const at = locationOf(project);
    const counts: ListingRegistration = { registered: 0, alreadyKnown: 0, rejected: 0 };

    const existing = await mapBounded(blobs, this.#listingConcurrency * 4, (b) =>
      this.#store.tasks.get(project.id, taskIdFor(container, b.blobPath)),
    );
    const unknown = blobs.filter((_, i) => existing[i] === undefined);
    counts.alreadyKnown += blobs.length - unknown.length;

    const facts = await mapBounded(unknown, this.#listingConcurrency, (b) =>
      factsFor(
        project,
        {
          container,
          blobPath: b.blobPath,
          blobUrl: b.blobUrl,
          contentType: b.contentType,
          sizeBytes: b.sizeBytes,
          eTag: b.eTag,
          sequencer: '',
        },
        () => readImageHeader(this.#blobs, at, b.blobPath, this.#limits),
      ),
    );

    const now = this.#now();
    const items = facts
      .filter((f): f is BlobFacts => f !== undefined)
      .map((f) => {
        const mutation: TaskMutation = (current) => decideBlobCreated(project.id, current, f, now);
        return { taskId: taskIdFor(container, f.blobPath), mutation };
      });
    if (items.length === 0) return counts;

    for (const result of await this.#store.tasks.mutateMany(project.id, items)) {
      if (result.outcome === 'ignored') counts.alreadyKnown++;
      else if (result.task?.state === 'rejected') counts.rejected++;
      else counts.registered++;
    }
    return counts;
  }
}
