import type { HttpResponseInit } from '@azure/functions';
import type { Project } from '../../shared/domain/project';
import type { Versioned } from '../../shared/ports/store';

/** The project as the API shows it (internal bookkeeping such as the create-spec digest left out). */
export function projectView(project: Project): Omit<Project, 'specDigest'> {
  const { specDigest: _digest, ...view } = project;
  return view;
}

/** A strong entity tag for the header: store etags may already be quoted (Cosmos) or not (SQLite's version). */
export function etagHeader(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/** A project response with its ETag, for clients that send it back as If-Match. */
export function projectResponse(
  status: number,
  project: Versioned<Project>,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { etag: etagHeader(project.etag), 'cache-control': 'no-store', ...headers },
    jsonBody: { ...projectView(project.value), etag: etagHeader(project.etag), ...extra },
  };
}
