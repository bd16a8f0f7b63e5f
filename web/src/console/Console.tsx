import type { ComponentChildren } from 'preact';
import type { AdminProject } from './consoleTypes';
import { CreateProject } from './CreateProject';
import { DashboardPage } from './DashboardPage';
import { ExportsPage } from './ExportsPage';
import { MembersPage } from './MembersPage';
import { OrchestrationsPage } from './OrchestrationsPage';
import { usePolling } from './usePolling';

export type ProjectTab = 'dashboard' | 'members' | 'exports' | 'orchestrations';
export type ConsoleRoute = { view: 'list' } | { view: 'new' } | { view: 'project'; projectId: string; tab: ProjectTab };

const tabs: Array<{ tab: ProjectTab; text: string; suffix: string }> = [
  { tab: 'dashboard', text: 'Dashboard', suffix: '' },
  { tab: 'members', text: 'Members', suffix: '/members' },
  { tab: 'exports', text: 'Exports', suffix: '/exports' },
  { tab: 'orchestrations', text: 'Orchestrations', suffix: '/orchestrations' },
];

/** The console's client routes under `/console`, or undefined for a path outside it. */
export function consoleRoute(pathname: string): ConsoleRoute | undefined {
  if (/^\/console\/?$/.test(pathname)) return { view: 'list' };
  if (/^\/console\/new\/?$/.test(pathname)) return { view: 'new' };
  const m = /^\/console\/projects\/([^/]+)(\/members|\/exports|\/orchestrations)?\/?$/.exec(pathname);
  if (!m) return undefined;
  const tab = tabs.find((t) => t.suffix === (m[2] ?? ''))!.tab;
  return { view: 'project', projectId: decodeURIComponent(m[1]!), tab };
}

export const consolePath = (projectId: string, tab: ProjectTab = 'dashboard') =>
  `/console/projects/${encodeURIComponent(projectId)}${tabs.find((t) => t.tab === tab)!.suffix}`;

export function consoleTitle(route: ConsoleRoute): string {
  if (route.view === 'list') return 'Project console';
  if (route.view === 'new') return 'New project';
  return tabs.find((t) => t.tab === route.tab)!.text;
}

type Navigate = (path: string) => void;

/** A link that moves within the app without reloading it. */
export function Link(props: { href: string; navigate: Navigate; current?: boolean; children: ComponentChildren }) {
  return (
    <a
      href={props.href}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        props.navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

/** Every project, with its counters and a way in; "New project". */
function ProjectList(props: { navigate: Navigate }) {
  const list = usePolling<{ items: AdminProject[] }>('/api/projects', 30_000);
  return (
    <div>
      <p>
        <Link href="/console/new" navigate={props.navigate}>
          New project
        </Link>
      </p>
      {list.error && <p role="alert">{list.error}</p>}
      {!list.data ? (
        <p role="status">Loading the projects…</p>
      ) : list.data.items.length === 0 ? (
        <p>No project yet.</p>
      ) : (
        <table>
          <caption>Projects</caption>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Id</th>
              <th scope="col">Status</th>
              <th scope="col">Container</th>
              <th scope="col">Labels</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <Link href={consolePath(p.id)} navigate={props.navigate}>
                    {p.name}
                  </Link>
                </th>
                <td>{p.id}</td>
                <td>{p.status}</td>
                <td>
                  {p.dataset.container}
                  {p.dataset.prefix ? `/${p.dataset.prefix}` : ''}
                </td>
                <td>{p.labels.map((l) => l.name).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The project's name over its tabs; each tab is a page of its own (its own address, title and heading). */
function ProjectPages(props: { projectId: string; tab: ProjectTab; navigate: Navigate }) {
  return (
    <div class="console-project">
      <ProjectName projectId={props.projectId} />
      <nav aria-label="Project" class="tabs">
        {tabs.map((t) => (
          <Link
            key={t.tab}
            href={consolePath(props.projectId, t.tab)}
            navigate={props.navigate}
            current={t.tab === props.tab}
          >
            {t.text}
          </Link>
        ))}
      </nav>
      {props.tab === 'dashboard' && <DashboardPage projectId={props.projectId} />}
      {props.tab === 'members' && <MembersPage projectId={props.projectId} />}
      {props.tab === 'exports' && <ExportsPage projectId={props.projectId} />}
      {props.tab === 'orchestrations' && <OrchestrationsPage projectId={props.projectId} />}
    </div>
  );
}

function ProjectName(props: { projectId: string }) {
  const project = usePolling<AdminProject>(`/api/projects/${encodeURIComponent(props.projectId)}`, 60_000);
  return (
    <p class="project-name">
      {project.data ? `${project.data.name} (${project.data.id}, ${project.data.status})` : props.projectId}
    </p>
  );
}

export function ConsolePage(props: { route: ConsoleRoute; navigate: Navigate }) {
  const { route } = props;
  return (
    <div class="console">
      {route.view === 'list' && <ProjectList navigate={props.navigate} />}
      {route.view === 'new' && <CreateProject onCreated={(id) => props.navigate(consolePath(id))} />}
      {route.view === 'project' && (
        <ProjectPages projectId={route.projectId} tab={route.tab} navigate={props.navigate} />
      )}
    </div>
  );
}
