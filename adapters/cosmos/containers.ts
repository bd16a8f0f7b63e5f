import type { Container, ContainerRequest, CosmosClient, Database } from '@azure/cosmos';
import { hasStatus, notFound } from './cosmosErrors';

/**
 * Container layout (docs/store-design.md explains the numbers):
 *   projects     pk /id         one small document per project
 *   projectData  pk /projectId  everything of one project in one logical partition: its tasks (`type: 'task'`,
 *                               id = task id), one counters document (`type: 'counters'`, id `counters`) and the
 *                               labeling records (members, batches, live-batch locks, training runs; ids with a
 *                               `type:` prefix, see labelingDocuments.ts), so nearly every access path is a
 *                               single-partition query.
 */
export const projectsContainerId = 'projects';
export const projectDataContainerId = 'projectData';

const projectsDefinition: ContainerRequest = {
  id: projectsContainerId,
  partitionKey: { paths: ['/id'] },
};

const ascending = 'ascending' as const;

/**
 * Tasks carry boxes, prelabels and blob metadata that no query filters on; indexing only the query fields keeps the
 * write cost (RU) of a task near that of a bare document. The composite indexes serve the claim queries, each
 * `WHERE c.state = @state ORDER BY c.state, …` so an equality filter and the sort use one index.
 */
const projectDataDefinition: ContainerRequest = {
  id: projectDataContainerId,
  partitionKey: { paths: ['/projectId'] },
  indexingPolicy: {
    indexingMode: 'consistent',
    automatic: true,
    includedPaths: [
      { path: '/id/?' },
      { path: '/projectId/?' },
      { path: '/type/?' },
      { path: '/state/?' },
      { path: '/labeler/?' },
      { path: '/confidence/?' },
      { path: '/shuffleKey/?' },
      // Members: the cross-partition "projects of this user" query (cosmosMembers.ts).
      { path: '/userId/?' },
    ],
    excludedPaths: [{ path: '/*' }],
    compositeIndexes: [
      [
        { path: '/state', order: ascending },
        { path: '/confidence', order: ascending },
        { path: '/id', order: ascending },
      ],
      [
        { path: '/state', order: ascending },
        { path: '/shuffleKey', order: ascending },
        { path: '/id', order: ascending },
      ],
      [
        { path: '/state', order: ascending },
        { path: '/confidence', order: ascending },
        { path: '/shuffleKey', order: ascending },
      ],
    ],
  },
};

/**
 * Both containers as created here and as the infrastructure must declare them (infra/app/cosmos-containers.json, which
 * infra/app/cosmos.bicep loads; tests/infra/infra.test.ts keeps the two identical).
 */
export const containerDefinitions: readonly ContainerRequest[] = [projectsDefinition, projectDataDefinition];

export interface StoreContainers {
  database: Database;
  projects: Container;
  projectData: Container;
}

/**
 * Creates the database and containers when absent (with an account key: local development and emulators).
 */
export async function ensureContainers(client: CosmosClient, databaseId: string): Promise<StoreContainers> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const [{ container: projects }, { container: projectData }] = await Promise.all([
    database.containers.createIfNotExists(projectsDefinition),
    database.containers.createIfNotExists(projectDataDefinition),
  ]);
  return { database, projects, projectData };
}

/**
 * Opens the database and containers without creating anything: with Microsoft Entra ID (a managed identity) the
 * data-plane roles cannot create them (a create answers 403 forever), so the infrastructure provisions them from the
 * definitions above. Whatever is missing is named in the error, so the fix is obvious from the first failed call.
 */
export async function openExistingContainers(client: CosmosClient, databaseId: string): Promise<StoreContainers> {
  const database = client.database(databaseId);
  try {
    await database.read();
  } catch (err) {
    if (hasStatus(err, notFound)) throw new MissingCosmosResourceError(`database '${databaseId}'`);
    throw err;
  }
  const containers = [projectsContainerId, projectDataContainerId].map((id) => database.container(id));
  const missing: string[] = [];
  await Promise.all(
    containers.map(async (container) => {
      try {
        await container.read();
      } catch (err) {
        if (hasStatus(err, notFound)) missing.push(`container '${container.id}'`);
        else throw err;
      }
    }),
  );
  if (missing.length > 0) throw new MissingCosmosResourceError(`${missing.sort().join(' and ')} in '${databaseId}'`);
  return { database, projects: containers[0]!, projectData: containers[1]! };
}

export class MissingCosmosResourceError extends Error {
  constructor(what: string) {
    super(
      `Cosmos DB ${what} does not exist. Without COSMOS_KEY the app signs in with Microsoft Entra ID, whose data ` +
        'roles cannot create databases or containers: provision them with the infrastructure (infra/) or create ' +
        'them as in adapters/cosmos/containers.ts.',
    );
    this.name = 'MissingCosmosResourceError';
  }
}
