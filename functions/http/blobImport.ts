import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { blobStreams } from '../../adapters/composition';
import { importIdFor, importJobIdentity, type ImportJobSpec } from '../../shared/domain/imports/importJob';
import type { ImportRequest } from '../../shared/domain/imports/importRequest';
import type { Project } from '../../shared/domain/project';
import { importInstanceId, importProject } from '../../shared/workflows/imports';
import { importStatus, importView } from './importRoute';
import { fieldProblem } from './problem';
import { requestPath } from './requestPath';

/**
 * `POST …/imports` with `source.blobPath`: a durable import (orchestrations/importProject.ts), answered 202 with
 * where to follow it. The import id is derived from the request and the blobs' etags, so the same request again
 * finds the same import (no second run) and a blob uploaded anew is a new import.
 */
export async function startBlobImport(
  request: HttpRequest,
  client: DurableClient,
  project: Project,
  body: ImportRequest & { source: { blobPath: string } },
  requestedBy: string,
): Promise<HttpResponseInit> {
  const blobs = blobStreams();
  const at = { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
  if (body.dataset && !('blobPath' in body.dataset)) {
    return fieldProblem([
      { field: 'dataset', message: 'with a blob source the dataset is a blob too: {"blobPath": …}' },
    ]);
  }
  const version = (blobPath: string) => blobs.version(at, blobPath);
  const source = await version(body.source.blobPath);
  if (!source) {
    return fieldProblem([
      { field: 'source.blobPath', message: `no blob '${body.source.blobPath}' in container '${at.container}'` },
    ]);
  }
  let dataset: ImportJobSpec['dataset'];
  if (body.dataset && 'blobPath' in body.dataset) {
    const found = await version(body.dataset.blobPath);
    if (!found) {
      return fieldProblem([
        { field: 'dataset.blobPath', message: `no blob '${body.dataset.blobPath}' in container '${at.container}'` },
      ]);
    }
    dataset = { blobPath: body.dataset.blobPath, eTag: found.eTag };
  }
  const identity = importJobIdentity(project.id, body, { blobPath: body.source.blobPath, eTag: source.eTag }, dataset);
  const importId = importIdFor(identity);
  const statusUrl = `${requestPath(request)}/${importId}`;
  const accepted = (state: string): HttpResponseInit => ({
    status: 202,
    headers: { location: statusUrl, 'cache-control': 'no-store' },
    jsonBody: { importId, state, statusUrl },
  });
  const existing = async () => {
    const status = await importStatus(client, project.id, importId);
    return status ? accepted(importView(status).state) : undefined;
  };
  const known = await existing();
  if (known) return known;
  const spec: ImportJobSpec = { ...identity, importId, requestedAt: new Date().toISOString(), requestedBy };
  try {
    await client.startNew(importProject.name, { instanceId: importInstanceId(project.id, importId), input: spec });
  } catch (err) {
    // A concurrent retry started it first: answer with that one.
    const raced = await existing();
    if (raced) return raced;
    throw err;
  }
  return accepted('scanning');
}
