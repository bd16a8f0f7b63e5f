import { createHash } from 'node:crypto';

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url');

/** Every labeler session of a project starts with this; the rest is `labelerDigestLength` base64url characters. */
export const labelerSessionPrefix = (projectId: string) => `labeler-${projectId}-`;
export const labelerDigestLength = 16;

/** The labeler's session orchestration: one per (project, labeler); user ids may hold any character. */
export function labelerSessionId(projectId: string, labelerId: string): string {
  return `${labelerSessionPrefix(projectId)}${digest(labelerId).slice(0, labelerDigestLength)}`;
}

/** The project's ML Assist coordinator (a singleton orchestration). */
export function mlAssistInstanceId(projectId: string): string {
  return `mlassist-${projectId}`;
}

/** A batch id fixed by the request that asked for it, so a re-run allocation finds its own batch. */
export function batchIdFor(projectId: string, labelerId: string, requestId: string): string {
  return `b-${digest(projectId, labelerId, requestId).slice(0, 22)}`;
}
