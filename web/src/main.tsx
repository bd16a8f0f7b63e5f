import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, projectPath, signIn } from './api';
import { ProjectsPage } from './ProjectsPage';
import { ConsolePage, consoleRoute, consoleTitle, type ConsoleRoute } from './console/Console';
import { ShortcutScope, useShortcuts } from './keyboard/ShortcutScope';
import { currentUser, type SignedIn } from './session';
import './styles.css';
import type { Project } from './types';
import { Workspace } from './workspace/Workspace';

type Route = { page: 'projects' } | { page: 'label'; projectId: string } | { page: 'console'; console: ConsoleRoute };

/** Client routes: `/` (my projects), `/projects/{id}/label` (the labeler workspace), `/console…` (the owner console). */
function routeOf(pathname: string): Route {
  const inConsole = consoleRoute(pathname);
  if (inConsole) return { page: 'console', console: inConsole };
  const m = /^\/projects\/([^/]+)\/label\/?$/.exec(pathname);
  return m ? { page: 'label', projectId: decodeURIComponent(m[1]!) } : { page: 'projects' };
}

function LabelPage(props: { projectId: string }) {
  const [project, setProject] = useState<Project | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    // Labelers may not read a project's admin view: find it in the list of projects they belong to.
    api<{ items: Project[] }>('GET', '/api/projects')
      .then((res) => {
        const found = res.body.items.find((p) => p.id === props.projectId);
        if (found) setProject(found);
        else setError(`You are not a member of project '${props.projectId}'.`);
      })
      .catch((err: Error) => setError(err.message));
  }, [props.projectId]);
  if (error) return <p role="alert">{error}</p>;
  if (!project) return <p role="status">Loading the project…</p>;
  return <Workspace project={project} />;
}

/** The keys that move between the app's areas, on every page that has shortcuts (the workspace has its own). */
function AreaShortcuts(props: { isAdmin: boolean; navigate: (path: string) => void }) {
  useShortcuts([
    { keys: 'g p', action: 'Go to My projects', run: () => props.navigate('/') },
    ...(props.isAdmin
      ? [{ keys: 'g c', action: 'Go to the project console (list of projects)', run: () => props.navigate('/console') }]
      : []),
  ]);
  return null;
}

function App() {
  const [session, setSession] = useState<SignedIn | undefined>(undefined);
  const [route, setRoute] = useState(() => routeOf(location.pathname));

  useEffect(() => {
    currentUser().then(setSession, (err: Error) => setSession({ kind: 'refused', reason: err.message }));
    const onPop = () => setRoute(routeOf(location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = (path: string) => {
    history.pushState(null, '', path);
    setRoute(routeOf(path));
  };

  const me = session?.kind === 'signedIn' ? session.me : undefined;
  const isAdmin = me?.roles.includes('admin') ?? false;
  const title =
    route.page === 'label' ? 'Labeling' : route.page === 'console' ? consoleTitle(route.console) : 'My projects';
  useEffect(() => {
    document.title = `${title} · ML Assist Labeling`;
  }, [title]);

  return (
    <>
      <header class="top">
        <a
          class="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          ML Assist Labeling
        </a>
        <nav aria-label="Main">
          <a
            href="/"
            aria-current={route.page === 'projects' ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate('/');
            }}
          >
            My projects
          </a>
          {isAdmin && (
            <a
              href="/console"
              aria-current={route.page === 'console' ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate('/console');
              }}
            >
              Project console
            </a>
          )}
        </nav>
        {me && (
          <span class="user">
            {me.name} · <a href="/.auth/logout?post_logout_redirect_uri=/">Sign out</a>
          </span>
        )}
      </header>
      <main>
        <h1 class={route.page === 'label' ? 'visually-hidden' : undefined}>{title}</h1>
        {session === undefined && <p role="status">Checking your sign-in…</p>}
        {session?.kind === 'refused' && <p role="alert">{session.reason}</p>}
        {session?.kind === 'signedOut' && (
          <div class="panel">
            <p>Sign in to label images.</p>
            <button type="button" class="primary" onClick={signIn}>
              Sign in
            </button>
          </div>
        )}
        {me && route.page === 'label' && <LabelPage projectId={route.projectId} />}
        {me && route.page !== 'label' && (
          <ShortcutScope>
            <AreaShortcuts isAdmin={isAdmin} navigate={navigate} />
            {route.page === 'projects' && (
              <ProjectsPage
                userId={me.userId}
                onStart={(id) => navigate(`${projectPath(id).replace('/api', '')}/label`)}
              />
            )}
            {route.page === 'console' && !isAdmin && <p role="alert">The project console is for admins.</p>}
            {route.page === 'console' && isAdmin && <ConsolePage route={route.console} navigate={navigate} />}
          </ShortcutScope>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
