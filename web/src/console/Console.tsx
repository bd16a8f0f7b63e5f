import type { ComponentChildren } from 'preact';
import { useShortcuts } from '../keyboard/ShortcutScope';
import type { AdminProject } from './consoleTypes';
import { CreateProject } from './CreateProject';
import { DashboardPage } from './DashboardPage';
import { ExportsPage } from './ExportsPage';
import { ImportsPage } from './ImportsPage';
import { MembersPage } from './MembersPage';
import { OrchestrationsPage } from './OrchestrationsPage';
import { SettingsPage } from './SettingsPage';
import { usePolling } from './usePolling';

export type ProjectTab = 'dashboard' | 'members' | 'imports' | 'exports' | 'orchestrations' | 'settings';
export type ConsoleRoute = { view: 'list' } | { view: 'new' } | { view: 'project'; projectId: string; tab: ProjectTab };

/** The project's tabs; `key` is the second key of the `g` sequence that opens one (`g d`: the dashboard). */
const tabs: Array<{ tab: ProjectTab; text: string; suffix: string; key: string }> = [
  { tab: 'dashboard', text: 'Dashboard', suffix: '', key: 'd' },
  { tab: 'members', text: 'Members', suffix: '/members', key: 'm' },
  { tab: 'imports', text: 'Imports', suffix: '/imports', key: 'i' },
  { tab: 'exports', text: 'Exports', suffix: '/exports', key: 'e' },
  { tab: 'orchestrations', text: 'Orchestrations', suffix: '/orchestrations', key: 'o' },
  { tab: 'settings', text: 'Settings', suffix: '/settings', key: 's' },
];

/** The console's client routes under `/console`, or undefined for a path outside it. */
export function consoleRoute(pathname: string): ConsoleRoute | undefined {
  if (/^\/console\/?$/.test(pathname)) return { view: 'list' };
  if (/^\/console\/new\/?$/.test(pathname)) return { view: 'new' };
  const m = /^\/console\/projects\/([^/]+)(\/members|\/imports|\/exports|\/orchestrations|\/settings)?\/?$/.exec(
    pathname,
  );
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
  useShortcuts([
    { keys: 'r', action: 'Read the list again', run: list.reload },
    {
      keys: '1–9',
      action: 'Open the first to ninth project',
      matches: (key) => /^[1-9]$/.test(key),
      run: (key) => {
        const project = list.data?.items[Number(key) - 1];
        if (project) props.navigate(consolePath(project.id));
      },
    },
  ]);
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
  useShortcuts(
    tabs.map((t) => ({
      keys: `g ${t.key}`,
      action: `Go to ${t.text.toLowerCase()}`,
      run: () => props.navigate(consolePath(props.projectId, t.tab)),
    })),
  );
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
      {props.tab === 'imports' && <ImportsPage projectId={props.projectId} />}
      {props.tab === 'exports' && <ExportsPage projectId={props.projectId} />}
      {props.tab === 'orchestrations' && <OrchestrationsPage projectId={props.projectId} />}
      {props.tab === 'settings' && <SettingsPage projectId={props.projectId} />}
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
  useShortcuts([{ keys: 'n', action: 'New project', run: () => props.navigate('/console/new') }]);
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
