import type { Container } from '@azure/cosmos';
import type { Batch, LabelingRecords, Member, TrainingRun } from '../../shared/ports/labelingRecords';
import type { Versioned } from '../../shared/ports/labelStore';
import { connectCosmos, cosmosSettingsFrom, type ConnectedClient, type CosmosSettings } from './cosmosConfig';
import { conflict, hasStatus, notFound } from './cosmosErrors';
import { ensureContainers } from './containers';
import {
  byUtf8,
  fromMemberDocument,
  fromTrainingRunDocument,
  memberDocumentId,
  ofTypeInProject,
  toMemberDocument,
  toTrainingRunDocument,
  trainingRunDocumentId,
} from './labelingDocuments';
import { LiveBatches } from './liveBatches';

interface Ready {
  projectData: Container;
  batches: LiveBatches;
}

/**
 * Labeling records on Azure Cosmos DB, as documents in each project's `projectData` partition next to its tasks
 * (docs/store-design.md, "Labeling records"): point reads and writes by id, single-partition queries, except
 * `listMemberships`, which is one cross-partition query. Batches keep "one live batch per labeler" with a lock
 * document (liveBatches.ts).
 */
export class CosmosLabelingRecords implements LabelingRecords {
  readonly #connection: ConnectedClient;
  readonly #databaseId: string;
  #ready: Promise<Ready> | undefined;

  constructor(settings: CosmosSettings) {
    this.#connection = connectCosmos(settings);
    this.#databaseId = settings.databaseId;
  }

  /** Containers are created (or found) on first use, so constructing does no I/O. */
  #parts(): Promise<Ready> {
    this.#ready ??= ensureContainers(this.#connection.client, this.#databaseId).then(
      ({ projectData }) => ({ projectData, batches: new LiveBatches(projectData) }),
      (err: unknown) => {
        this.#ready = undefined; // try again on the next call
        throw err;
      },
    );
    return this.#ready;
  }

  async close(): Promise<void> {
    this.#connection.dispose();
  }

  // ---------------------------------------------------------------- members

  async putMember(member: Member): Promise<void> {
    const { projectData } = await this.#parts();
    await projectData.items.upsert(toMemberDocument(member));
  }

  async deleteMember(projectId: string, userId: string): Promise<boolean> {
    const { projectData } = await this.#parts();
    try {
      await projectData.item(memberDocumentId(userId), projectId).delete();
      return true;
    } catch (err) {
      if (hasStatus(err, notFound)) return false;
      throw err;
    }
  }

  async getMember(projectId: string, userId: string): Promise<Member | undefined> {
    const { projectData } = await this.#parts();
    try {
      const { resource } = await projectData.item(memberDocumentId(userId), projectId).read<Record<string, unknown>>();
      return resource ? fromMemberDocument(resource) : undefined;
    } catch (err) {
      if (hasStatus(err, notFound)) return undefined;
      throw err;
    }
  }

  async listMembers(projectId: string): Promise<Member[]> {
    const members = (await this.#queryProject(projectId, 'member')).map(fromMemberDocument);
    return members.sort(byUtf8((m) => m.userId));
  }

  /**
   * The one cross-partition query: members live in their project's partition, so finding a user's projects fans out
   * over the physical partitions. It serves the project list of a labeler, not the per-request membership check
   * (`getMember`, a point read). The `/userId` index keeps each partition's part of it cheap.
   */
  async listMemberships(userId: string): Promise<Member[]> {
    const { projectData } = await this.#parts();
    const { resources } = await projectData.items
      .query<Record<string, unknown>>({
        query: "SELECT * FROM c WHERE c.type = 'member' AND c.userId = @userId",
        parameters: [{ name: '@userId', value: userId }],
      })
      .fetchAll();
    return resources.map(fromMemberDocument).sort(byUtf8((m) => m.projectId));
  }

  // ---------------------------------------------------------------- batches

  async insertBatch(batch: Batch): Promise<{ created: boolean; batch: Versioned<Batch> }> {
    return (await this.#parts()).batches.insert(batch);
  }

  async getBatch(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined> {
    return (await this.#parts()).batches.get(projectId, batchId);
  }

  async getLiveBatch(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined> {
    return (await this.#parts()).batches.getLive(projectId, labelerId);
  }

  async replaceBatch(batch: Batch, ifMatch: string): Promise<Versioned<Batch>> {
    return (await this.#parts()).batches.replace(batch, ifMatch);
  }

  async countLiveBatches(projectId: string): Promise<number> {
    return (await this.#parts()).batches.countLive(projectId);
  }

  // ---------------------------------------------------------------- training runs

  async insertTrainingRun(run: TrainingRun): Promise<{ created: boolean; run: TrainingRun }> {
    const { projectData } = await this.#parts();
    try {
      const { resource } = await projectData.items.create(toTrainingRunDocument(run));
      return { created: true, run: fromTrainingRunDocument(resource as unknown as Record<string, unknown>) };
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
    const { resource } = await projectData
      .item(trainingRunDocumentId(run.id), run.projectId)
      .read<Record<string, unknown>>();
    if (!resource) throw new Error(`Training run '${run.id}' was reported to exist but could not be read.`);
    return { created: false, run: fromTrainingRunDocument(resource) };
  }

  async listTrainingRuns(projectId: string): Promise<TrainingRun[]> {
    const runs = (await this.#queryProject(projectId, 'trainingRun')).map(fromTrainingRunDocument);
    return runs.sort(byUtf8((r) => r.id));
  }

  /** All documents of one type in a project: a handful (members, runs), sorted by the caller like SQLite sorts. */
  async #queryProject(projectId: string, type: string): Promise<Array<Record<string, unknown>>> {
    const { projectData } = await this.#parts();
    const { resources } = await projectData.items
      .query<Record<string, unknown>>(
        {
          query: `SELECT * FROM c WHERE ${ofTypeInProject}`,
          parameters: [
            { name: '@projectId', value: projectId },
            { name: '@type', value: type },
          ],
        },
        { partitionKey: projectId },
      )
      .fetchAll();
    return resources;
  }
}

export function createCosmosLabelingRecords(env: NodeJS.ProcessEnv): CosmosLabelingRecords {
  return new CosmosLabelingRecords(cosmosSettingsFrom(env));
}
