import { projectPath } from '../api';
import type { Instance } from './consoleTypes';
import { useShortcuts } from '../keyboard/ShortcutScope';
import { usePagedListing } from './usePagedListing';

/**
 * The project's durable instances. Their history is behind the Durable management API, which takes the
 * `durabletask_extension` system key: a key the browser must never hold, so the page gives the path to open with
 * it (curl, or the portal) rather than a link.
 */
export function OrchestrationsPage(props: { projectId: string }) {
  const { list, pager, page } = usePagedListing<Instance>(`${projectPath(props.projectId)}/orchestrations`, 5000);
  useShortcuts([{ keys: 'r', action: 'Read the list again', run: list.reload }]);
  if (!list.data) return list.error ? <p role="alert">{list.error}</p> : <p role="status">Loading…</p>;
  return (
    <div>
      <p class="meta">
        History: open a path below on the Functions host with <code>&amp;code=</code> and the{' '}
        <code>durabletask_extension</code> system key appended (devhost: <code>.data/host-keys.json</code>; Azure: App
        keys → System keys). The key stays out of the browser on purpose. See docs/operations.md.
      </p>
      {list.error && <p role="alert">Could not refresh the list: {list.error}</p>}
      {pager('orchestrations')}
      {list.data.items.length === 0 ? (
        <p>{page === 1 ? 'No orchestration has run for this project yet.' : 'No more instances.'}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption>Orchestrations</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last updated</th>
                <th scope="col">Failure</th>
                <th scope="col">History path</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr key={i.instanceId}>
                  <th scope="row">{i.instanceId}</th>
                  <td>{i.kind}</td>
                  <td>{i.runtimeStatus}</td>
                  <td>{new Date(i.createdTime).toLocaleString()}</td>
                  <td>{new Date(i.lastUpdatedTime).toLocaleString()}</td>
                  <td>{i.failure ?? ''}</td>
                  <td>
                    <code class="path">{i.links.history}</code>{' '}
                    <button
                      type="button"
                      onClick={() => void navigator.clipboard?.writeText(i.links.history).catch(() => undefined)}
                    >
                      Copy <span class="visually-hidden">the history path of {i.instanceId}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
