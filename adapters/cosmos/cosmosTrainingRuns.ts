import type { Container } from '@azure/cosmos';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { ConflictError, type Inserted, type TrainingRunRepository, type Versioned } from '../../shared/ports/store';
import type { Ready } from './cosmosStore';
import { conflict, hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import { byUtf8, fromTrainingRunDocument, toTrainingRunDocument, trainingRunDocumentId } from './labelingDocuments';
import { pointRead } from './pointRead';
import { queryProjectRecords } from './projectRecords';

/** Training runs as documents in their project's partition, updated under IfMatch as they progress. */
export class CosmosTrainingRuns implements TrainingRunRepository {
  readonly #container: Container;
  readonly #ready: Ready;

  constructor(container: Container, ready: Ready) {
    this.#container = container;
    this.#ready = ready;
  }

  async insert(run: TrainingRun): Promise<Inserted<TrainingRun>> {
    await this.#ready();
    try {
      const { resource, etag } = await this.#container.items.create(toTrainingRunDocument(run));
      return {
        created: true,
        stored: { value: fromTrainingRunDocument(resource as unknown as Record<string, unknown>), etag },
      };
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
    const stored = await this.get(run.projectId, run.id);
    if (!stored) throw new Error(`Training run '${run.id}' was reported to exist but could not be read.`);
    return { created: false, stored };
  }

  async get(projectId: string, runId: string): Promise<Versioned<TrainingRun> | undefined> {
    await this.#ready();
    const read = await pointRead<Record<string, unknown>>(
      this.#container.item(trainingRunDocumentId(runId), projectId),
    );
    return read && { value: fromTrainingRunDocument(read.resource), etag: read.etag };
  }

  async list(projectId: string): Promise<TrainingRun[]> {
    await this.#ready();
    const runs = (await queryProjectRecords(this.#container, projectId, 'trainingRun')).map(fromTrainingRunDocument);
    return runs.sort(byUtf8((r) => r.id));
  }

  async replace(run: TrainingRun, ifMatch: string): Promise<Versioned<TrainingRun>> {
    await this.#ready();
    try {
      const { resource, etag } = await this.#container
        .item(trainingRunDocumentId(run.id), run.projectId)
        .replace(toTrainingRunDocument(run), { accessCondition: { type: 'IfMatch', condition: ifMatch } });
      return { value: fromTrainingRunDocument(resource as unknown as Record<string, unknown>), etag };
    } catch (err) {
      if (hasStatus(err, preconditionFailed, notFound)) {
        throw new ConflictError(`Training run '${run.id}' was changed by another writer.`);
      }
      throw err;
    }
  }
}
