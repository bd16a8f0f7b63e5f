import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import type { Project } from './types';
import { currentBatch } from './workspace/batchClient';

interface Row {
  project: Project;
  /** Images left in my live batch, if I hold one. */
  leftInBatch?: number;
}

/** The projects I belong to, with what is left in my batch, and "Start labeling". */
export function ProjectsPage(props: { onStart: (projectId: string) => void }) {
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    api<{ items: Project[] }>('GET', '/api/projects?status=active')
      .then(async (res) => {
        const items = res.body.items;
        setRows(items.map((project) => ({ project })));
        const withBatches = await Promise.all(
          items.map(async (project) => {
            const batch = await currentBatch(project.id).catch(() => undefined);
            return { project, leftInBatch: batch?.remaining };
          }),
        );
        setRows(withBatches);
      })
      .catch((err: Error) => setError(err.message));
  }, []);

  if (error) return <p role="alert">Could not load your projects: {error}</p>;
  if (!rows) return <p role="status">Loading your projects…</p>;
  if (rows.length === 0) return <p>You are not a member of any active project yet. Ask a project owner to add you.</p>;
  return (
    <ul class="projects">
      {rows.map(({ project, leftInBatch }) => (
        <li key={project.id} class="project">
          <h2>{project.name}</h2>
          <p class="meta">
            {project.type === 'objectDetection' ? 'Bounding boxes' : 'Classification'} · {project.labels.length} labels
            {leftInBatch !== undefined && ` · ${leftInBatch} images left in your batch`}
          </p>
          <button type="button" class="primary" onClick={() => props.onStart(project.id)}>
            Start labeling <span class="visually-hidden">{project.name}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
