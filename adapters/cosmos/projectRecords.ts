import type { Container } from '@azure/cosmos';
import { ofTypeInProject } from './labelingDocuments';

/** All documents of one type in a project: a handful (members, runs), sorted by the caller like SQLite sorts. */
export async function queryProjectRecords(
  container: Container,
  projectId: string,
  type: string,
  where = '',
): Promise<Array<Record<string, unknown>>> {
  const { resources } = await container.items
    .query<Record<string, unknown>>(
      {
        query: `SELECT * FROM c WHERE ${ofTypeInProject}${where ? ` AND ${where}` : ''}`,
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
