import { createHash } from 'node:crypto';

export type AzureMlJobKind = 'train' | 'predict';

/**
 * The Azure ML job name of a run's job: the same (project, run, kind) always gives the same name, so a retried start
 * finds the job it already created. Run ids (`run-000000250`) repeat across projects and a workspace's job names are
 * unique across all of them, hence the project in the name.
 *
 * AML job names: letters, digits, '-' and '_', starting with a letter or digit, at most 255 characters (and
 * case-sensitive). The readable part is lower-cased, squeezed to that alphabet and shortened; the hash of the exact
 * triple keeps two inputs that squeeze to the same text apart.
 */
export function azureMlJobName(projectId: string, runId: string, kind: AzureMlJobKind): string {
  const readable = `mla-${projectId}-${runId}-${kind}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 200)
    .replace(/[-_]+$/, '');
  const hash = createHash('sha256')
    .update(JSON.stringify([projectId, runId, kind]))
    .digest('hex')
    .slice(0, 10);
  return `${readable}-${hash}`;
}

/** The experiment (a folder in studio) of a project's jobs. */
export function azureMlExperimentName(projectId: string): string {
  return `mlassist-${projectId}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 250);
}
