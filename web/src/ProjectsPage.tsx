import { useEffect, useState } from 'preact/hooks';
import { api, projectPath } from './api';
import { useShortcuts } from './keyboard/ShortcutScope';
import type { Project } from './types';
import { currentBatch } from './workspace/batchClient';

interface Row {
  project: Project;
  /** Images left in my live batch, if I hold one. */
  leftInBatch?: number;
  /** From the project's dashboard, where a labeler member gets their own row. */
  mine?: { labeled: number; skipped: number; projectDone: number };
}

interface OwnDashboard {
  totals: { progress: number };
  labelers: Array<{ labelerId: string; labeled: number; skipped: number }>;
}

async function myProgress(projectId: string, userId: string): Promise<Row['mine']> {
  const res = await api<OwnDashboard>('GET', `${projectPath(projectId)}/dashboard`);
  const row = res.body.labelers.find((l) => l.labelerId === userId);
  return { labeled: row?.labeled ?? 0, skipped: row?.skipped ?? 0, projectDone: res.body.totals.progress };
}

/** The projects I belong to, with what is left in my batch, and "Start labeling". */
export function ProjectsPage(props: { userId: string; onStart: (projectId: string) => void }) {
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useShortcuts([
    { keys: 'r', action: 'Read the list again', run: () => setTick((t) => t + 1) },
    {
      keys: '1–9',
      action: 'Start labeling the first to ninth project',
      matches: (key) => /^[1-9]$/.test(key),
      run: (key) => {
        const row = rows?.[Number(key) - 1];
        if (row) props.onStart(row.project.id);
      },
    },
  ]);

  useEffect(() => {
    api<{ items: Project[] }>('GET', '/api/projects?status=active')
      .then(async (res) => {
        const items = res.body.items;
        setRows(items.map((project) => ({ project })));
        const withBatches = await Promise.all(
          items.map(async (project) => {
            const [batch, mine] = await Promise.all([
              currentBatch(project.id).catch(() => undefined),
              myProgress(project.id, props.userId).catch(() => undefined),
            ]);
            return { project, leftInBatch: batch?.remaining, mine };
          }),
        );
        setRows(withBatches);
      })
      .catch((err: Error) => setError(err.message));
  }, [props.userId, tick]);

  if (error) return <p role="alert">Could not load your projects: {error}</p>;
  if (!rows) return <p role="status">Loading your projects…</p>;
  if (rows.length === 0) return <p>You are not a member of any active project yet. Ask a project owner to add you.</p>;
  return (
    <ul class="projects">
      {rows.map(({ project, leftInBatch, mine }, i) => (
        <li key={project.id} class="project">
          <h2>{project.name}</h2>
          <p class="meta">
            {project.type === 'objectDetection' ? 'Bounding boxes' : 'Classification'} · {project.labels.length} labels
            {leftInBatch !== undefined && ` · ${leftInBatch} images left in your batch`}
          </p>
          {mine && (
            <p class="meta">
              You labeled {mine.labeled} and skipped {mine.skipped} · the project is{' '}
              {Math.round(mine.projectDone * 100)} % done
            </p>
          )}
          <button type="button" class="primary" onClick={() => props.onStart(project.id)}>
            Start labeling <span class="visually-hidden">{project.name}</span>
            {i < 9 && <kbd aria-hidden="true">{i + 1}</kbd>}
          </button>
        </li>
      ))}
    </ul>
  );
}
