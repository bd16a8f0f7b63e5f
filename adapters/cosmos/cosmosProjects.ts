import type { Container } from '@azure/cosmos';
import type { Project } from '../../shared/domain/project';
import { ConflictError, type Inserted, type ProjectRepository, type Versioned } from '../../shared/ports/store';
import type { Ready } from './cosmosStore';
import { conflict, hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import { fromProjectDocument } from './documents';
import { pointRead } from './pointRead';

/** Projects: one small document each in the `projects` container (pk /id). */
export class CosmosProjects implements ProjectRepository {
  readonly #container: Container;
  readonly #ready: Ready;

  constructor(container: Container, ready: Ready) {
    this.#container = container;
    this.#ready = ready;
  }

  async insert(project: Project): Promise<Inserted<Project>> {
    await this.#ready();
    try {
      const { resource, etag } = await this.#container.items.create(project);
      return {
        created: true,
        stored: { value: fromProjectDocument(resource as unknown as Record<string, unknown>), etag },
      };
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
    const existing = await this.get(project.id);
    if (!existing) throw new Error(`Project '${project.id}' was reported to exist but could not be read.`);
    return { created: false, stored: existing };
  }

  async get(id: string): Promise<Versioned<Project> | undefined> {
    await this.#ready();
    const read = await pointRead<Record<string, unknown>>(this.#container.item(id, id));
    return read && { value: fromProjectDocument(read.resource), etag: read.etag };
  }

  /** A cross-partition read of a small container (one document per project), sorted here like the SQLite store. */
  async list(): Promise<Project[]> {
    await this.#ready();
    const { resources } = await this.#container.items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll();
    return resources.map(fromProjectDocument).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async replace(project: Project, ifMatch: string): Promise<Versioned<Project>> {
    await this.#ready();
    try {
      const { resource, etag } = await this.#container
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
}
