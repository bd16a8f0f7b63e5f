import type { Container } from '@azure/cosmos';
import type { CounterDelta, ProjectCounters } from '../../shared/domain/counters';
import type { Task } from '../../shared/domain/task';
import type {
  ClaimRequest,
  CounterRead,
  MutationResult,
  Page,
  Recount,
  TaskMutation,
  TaskQuery,
  TaskRepository,
  Versioned,
} from '../../shared/ports/store';
import type { Ready } from './cosmosStore';
import { CountersDocumentStore } from './countersDocument';
import { decodeToken, encodeToken } from '../store/pageTokens';
import { fromTaskDocument, inProject } from './documents';
import { TaskClaimer } from './taskClaims';
import { TaskMutator } from './taskMutations';

/** Tasks and the per-project counters document, all in the project's `projectData` partition. */
export class CosmosTasks implements TaskRepository {
  readonly #container: Container;
  readonly #ready: Ready;
  readonly #counters: CountersDocumentStore;
  readonly #mutator: TaskMutator;
  readonly #claimer: TaskClaimer;

  constructor(container: Container, ready: Ready) {
    this.#container = container;
    this.#ready = ready;
    this.#counters = new CountersDocumentStore(container);
    this.#mutator = new TaskMutator(container, this.#counters);
    this.#claimer = new TaskClaimer(container, this.#counters);
  }

  async get(projectId: string, taskId: string): Promise<Versioned<Task> | undefined> {
    await this.#ready();
    const stored = await this.#mutator.read(projectId, taskId);
    return stored ? { value: stored.task, etag: stored.etag } : undefined;
  }

  async mutate(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult> {
    await this.#ready();
    return this.#mutator.mutateOne(projectId, taskId, mutation);
  }

  async mutateMany(
    projectId: string,
    items: Array<{ taskId: string; mutation: TaskMutation }>,
  ): Promise<MutationResult[]> {
    await this.#ready();
    return this.#mutator.mutateMany(projectId, items);
  }

  /** Keyset paging on the task id (the token is the last id served): stable while tasks are added or changed. */
  async list(projectId: string, query: TaskQuery): Promise<Page<Task>> {
    await this.#ready();
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
    const { resources } = await this.#container.items
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

  async counters(projectId: string): Promise<ProjectCounters> {
    await this.#ready();
    return this.#counters.read(projectId);
  }

  async counterValues(projectId: string, read?: CounterRead): Promise<CounterDelta> {
    await this.#ready();
    return this.#counters.values(projectId, read);
  }

  async recountCounters(projectId: string): Promise<Recount> {
    await this.#ready();
    return this.#counters.recount(projectId);
  }

  async claim(projectId: string, request: ClaimRequest): Promise<Task[]> {
    await this.#ready();
    return this.#claimer.claim(projectId, request);
  }
}
