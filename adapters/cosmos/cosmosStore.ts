import type { CosmosClientOptions } from '@azure/cosmos';
import type { Store } from '../../shared/ports/store';
import { connectCosmos, cosmosSettingsFrom, type ConnectedClient, type CosmosSettings } from './cosmosConfig';
import { CosmosMembers } from './cosmosMembers';
import { CosmosProjects } from './cosmosProjects';
import { CosmosTasks } from './cosmosTasks';
import { CosmosTrainingRuns } from './cosmosTrainingRuns';
import { ensureContainers, openExistingContainers, projectDataContainerId, projectsContainerId } from './containers';
import { LiveBatches } from './liveBatches';

/** Resolves once the database and containers exist; every repository awaits it before its first request. */
export type Ready = () => Promise<void>;

/**
 * The store on Azure Cosmos DB (NoSQL API), one CosmosClient per process shared by every repository. Layout,
 * partitioning and the concurrency rules are in docs/store-design.md; in short: one logical partition per project,
 * point reads, IfMatch-conditional writes, `incr` patches on one counters document, and claims raced on ETags.
 */
export class CosmosStore implements Store {
  readonly kind = 'cosmos';
  readonly #connection: ConnectedClient;
  readonly projects: CosmosProjects;
  readonly tasks: CosmosTasks;
  readonly members: CosmosMembers;
  readonly batches: LiveBatches;
  readonly trainingRuns: CosmosTrainingRuns;
  readonly #ready: Ready;

  constructor(settings: CosmosSettings, clientOptions: Partial<CosmosClientOptions> = {}) {
    this.#connection = connectCosmos(settings, clientOptions);
    const { client } = this.#connection;
    const database = client.database(settings.databaseId);
    // Container references cost no I/O; the containers are created (or found) on first use.
    let ensured: Promise<void> | undefined;
    this.#ready = () =>
      (ensured ??= (settings.createMissing ? ensureContainers : openExistingContainers)(
        client,
        settings.databaseId,
      ).then(
        () => undefined,
        (err: unknown) => {
          ensured = undefined; // try again on the next call (the account may not have been reachable yet)
          throw err;
        },
      ));
    const projectData = database.container(projectDataContainerId);
    this.projects = new CosmosProjects(database.container(projectsContainerId), this.#ready);
    this.tasks = new CosmosTasks(projectData, this.#ready);
    this.members = new CosmosMembers(projectData, this.#ready);
    this.batches = new LiveBatches(projectData, this.#ready);
    this.trainingRuns = new CosmosTrainingRuns(projectData, this.#ready);
    this.#database = database;
  }

  readonly #database;

  async ping(): Promise<void> {
    await this.#ready();
    await this.#database.read();
  }

  async close(): Promise<void> {
    this.#connection.dispose();
  }
}

export function createCosmosStore(env: NodeJS.ProcessEnv): CosmosStore {
  return new CosmosStore(cosmosSettingsFrom(env));
}
