import type { Container, ContainerRequest, CosmosClient, Database } from '@azure/cosmos';

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

export interface StoreContainers {
  database: Database;
  projects: Container;
  projectData: Container;
}

/**
 * Creates the database and containers when absent. With Entra ID (DefaultAzureCredential) the data-plane roles cannot
 * create them, so provision them with infrastructure code using the definitions above; `createIfNotExists` only
 * reads them when they exist, which those roles allow.
 */
export async function ensureContainers(client: CosmosClient, databaseId: string): Promise<StoreContainers> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const [{ container: projects }, { container: projectData }] = await Promise.all([
    database.containers.createIfNotExists(projectsDefinition),
    database.containers.createIfNotExists(projectDataDefinition),
  ]);
  return { database, projects, projectData };
}
