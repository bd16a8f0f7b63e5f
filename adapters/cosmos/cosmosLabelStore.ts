import type { ProjectCounters } from '../../shared/domain/counters';
import type { Project } from '../../shared/domain/project';
import type { Task } from '../../shared/domain/task';
import {
  ConflictError,
  type ClaimRequest,
  type LabelStore,
  type MutationResult,
  type TaskMutation,
  type TaskPage,
  type TaskQuery,
  type Versioned,
} from '../../shared/ports/labelStore';
import { connectCosmos, cosmosSettingsFrom, type ConnectedClient, type CosmosSettings } from './cosmosConfig';
import { conflict, hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import { ensureContainers, type StoreContainers } from './containers';
import { CountersDocumentStore } from './countersDocument';
import { fromProjectDocument, fromTaskDocument, inProject } from './documents';
import { TaskClaimer } from './taskClaims';
import { TaskMutator } from './taskMutations';

interface Ready extends StoreContainers {
  counters: CountersDocumentStore;
  mutator: TaskMutator;
  claimer: TaskClaimer;
}

function encodeToken(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeToken(token: string | undefined): string {
  return token ? Buffer.from(token, 'base64url').toString('utf8') : '';
}

/**
 * The label store on Azure Cosmos DB (NoSQL API). Layout, partitioning and the concurrency rules are described in
 * docs/store-design.md; in short: one logical partition per project, point reads, IfMatch-conditional writes,
 * `incr` patches on one counters document, and claims raced on ETags.
 */
export class CosmosLabelStore implements LabelStore {
  readonly kind = 'cosmos';
  readonly #connection: ConnectedClient;
  readonly #databaseId: string;
  #ready: Promise<Ready> | undefined;

  constructor(settings: CosmosSettings) {
    this.#connection = connectCosmos(settings);
    this.#databaseId = settings.databaseId;
  }

  /** Database and containers are created (or found) on first use, so constructing the store does no I/O. */
  #parts(): Promise<Ready> {
    this.#ready ??= ensureContainers(this.#connection.client, this.#databaseId).then(
      (containers) => {
        const counters = new CountersDocumentStore(containers.projectData);
        return {
          ...containers,
          counters,
          mutator: new TaskMutator(containers.projectData, counters),
          claimer: new TaskClaimer(containers.projectData, counters),
        };
      },
      (err: unknown) => {
        this.#ready = undefined; // try again on the next call (the account may not have been reachable yet)
        throw err;
      },
    );
    return this.#ready;
  }

  async ping(): Promise<void> {
    const { database } = await this.#parts();
    await database.read();
  }

  async close(): Promise<void> {
    this.#connection.dispose();
  }

  // ---------------------------------------------------------------- projects

  async insertProject(project: Project): Promise<{ created: boolean; project: Versioned<Project> }> {
    const { projects } = await this.#parts();
    try {
      const { resource, etag } = await projects.items.create(project);
      return {
        created: true,
        project: { value: fromProjectDocument(resource as unknown as Record<string, unknown>), etag },
      };
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
    const existing = await this.getProject(project.id);
    if (!existing) throw new Error(`Project '${project.id}' was reported to exist but could not be read.`);
    return { created: false, project: existing };
  }

  async getProject(id: string): Promise<Versioned<Project> | undefined> {
    const { projects } = await this.#parts();
    try {
      const { resource, etag } = await projects.item(id, id).read<Record<string, unknown>>();
      return resource ? { value: fromProjectDocument(resource), etag } : undefined;
    } catch (err) {
      if (hasStatus(err, notFound)) return undefined;
      throw err;
    }
  }

  /** A cross-partition read of a small container (one document per project), sorted here like the SQLite store. */
  async listProjects(): Promise<Project[]> {
    const { projects } = await this.#parts();
    const { resources } = await projects.items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll();
    return resources.map(fromProjectDocument).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async replaceProject(project: Project, ifMatch: string): Promise<Versioned<Project>> {
    const { projects } = await this.#parts();
    try {
      const { resource, etag } = await projects
        .item(project.id, project.id)
        .replace(project, { accessCondition: { type: 'IfMatch', condition: ifMatch } });
      return { value: fromProjectDocument(resource as unknown as Record<string, unknown>), etag };
    } catch (err) {
      if (hasStatus(err, preconditionFailed, notFound)) {
        throw new ConflictError(`Project '${project.id}' was changed by another writer.`);
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- tasks

  async getTask(projectId: string, taskId: string): Promise<Versioned<Task> | undefined> {
    const stored = await (await this.#parts()).mutator.read(projectId, taskId);
    return stored ? { value: stored.task, etag: stored.etag } : undefined;
  }

  async mutateTask(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult> {
    return (await this.#parts()).mutator.mutateOne(projectId, taskId, mutation);
  }

  async mutateTasks(
    projectId: string,
    items: Array<{ taskId: string; mutation: TaskMutation }>,
  ): Promise<MutationResult[]> {
    return (await this.#parts()).mutator.mutateMany(projectId, items);
  }

  /** Keyset paging on the task id (the token is the last id served): stable while tasks are added or changed. */
  async listTasks(projectId: string, query: TaskQuery): Promise<TaskPage> {
    const { projectData } = await this.#parts();
    const where = [inProject, 'c.id > @after'];
    const parameters: Array<{ name: string; value: string | number }> = [
      { name: '@projectId', value: projectId },
      { name: '@top', value: query.limit + 1 },
      { name: '@after', value: decodeToken(query.continuationToken) },
    ];
    if (query.state) {
      where.push('c.state = @state');
      parameters.push({ name: '@state', value: query.state });
    }
    if (query.labeler) {
      where.push('c.labeler = @labeler');
      parameters.push({ name: '@labeler', value: query.labeler });
    }
    const { resources } = await projectData.items
      .query<Record<string, unknown>>(
        { query: `SELECT TOP @top * FROM c WHERE ${where.join(' AND ')} ORDER BY c.id`, parameters },
        { partitionKey: projectId },
      )
      .fetchAll();
    const items = resources.slice(0, query.limit).map(fromTaskDocument);
    return {
      items,
      continuationToken: resources.length > query.limit ? encodeToken(items[items.length - 1]!.id) : undefined,
    };
  }

  async getCounters(projectId: string): Promise<ProjectCounters> {
    return (await this.#parts()).counters.read(projectId);
  }

  async claimTasks(projectId: string, request: ClaimRequest): Promise<Task[]> {
    return (await this.#parts()).claimer.claim(projectId, request);
  }

  /**
   * Not part of the port: rebuilds a project's counters from its tasks (a paged scan). Reconciliation runs it to
   * repair the drift a crash between a task write and its counter patch can leave behind.
   */
  async recountCounters(projectId: string): Promise<ProjectCounters> {
    return (await this.#parts()).counters.recount(projectId);
  }
}

export function createCosmosLabelStore(env: NodeJS.ProcessEnv): CosmosLabelStore {
  return new CosmosLabelStore(cosmosSettingsFrom(env));
}
