import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { useShortcuts } from '../keyboard/ShortcutScope';
import type { ExportView, Instance } from './consoleTypes';
import { usePagedListing } from './usePagedListing';
import { usePolling } from './usePolling';

const finished = (e: ExportView) => e.state === 'completed' || e.state === 'failed';

/** One export, read again until it has finished; once completed, its files as download links (valid an hour). */
function ExportRow(props: { projectId: string; exportId: string }) {
  const view = usePolling<ExportView>(
    `${projectPath(props.projectId)}/exports/${encodeURIComponent(props.exportId)}`,
    2000,
    (e) => !finished(e),
  );
  const e = view.data;
  return (
    <tr>
      <th scope="row">{props.exportId}</th>
      <td>{e ? `${e.format} (${e.include})` : '…'}</td>
      <td>{e ? new Date(e.requestedAt).toLocaleString() : ''}</td>
      <td>{e ? (e.state === 'failed' ? `failed: ${e.error ?? ''}` : e.state) : (view.error ?? '…')}</td>
      <td>{e?.counts ? `${e.counts.images} images, ${e.counts.annotations} boxes` : ''}</td>
      <td>
        {e?.files && (
          <ul class="files">
            {e.files.map((f) => (
              <li key={f.name}>
                <a href={f.url} download={f.name.split('/').pop()}>
                  Download {f.name}
                </a>
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/** Start an export (format, what to include, an optional seeded split) and download what earlier ones wrote. */
export function ExportsPage(props: { projectId: string }) {
  const base = projectPath(props.projectId);
  // Exports are durable instances `export-{projectId}-{exportId}`: the orchestrations listing finds earlier ones.
  const { list: listing, pager, page } = usePagedListing<Instance>(`${base}/orchestrations?kind=export`, 15_000, 20);
  const [started, setStarted] = useState<string[]>([]);
  const [format, setFormat] = useState('coco');
  const [include, setInclude] = useState('labeled');
  const [validation, setValidation] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);

  const prefix = `export-${props.projectId}-`;
  const known = (listing.data?.items ?? [])
    .sort((a, b) => b.createdTime.localeCompare(a.createdTime))
    .map((i) => i.instanceId.slice(prefix.length));
  // Exports started here show at once on the first page, before the listing has them.
  const ids = [...(page === 1 ? started.filter((id) => !known.includes(id)) : []), ...known];

  const start = async (e?: Event) => {
    e?.preventDefault();
    setProblem(undefined);
    const body = {
      format,
      include,
      ...(validation.trim() ? { split: { validation: Number(validation) } } : {}),
    };
    try {
      const res = await api<{ id: string }>('POST', `${base}/exports`, { body });
      setStarted([res.body.id, ...started]);
    } catch (err) {
      setProblem(`The export was not started: ${(err as Error).message}`);
    }
  };

  useShortcuts([
    { keys: 'x', action: 'Start an export with the choices in the form', run: () => void start() },
    { keys: 'r', action: 'Read the list of exports again', run: listing.reload },
  ]);

  return (
    <div>
      <form class="inline-form" onSubmit={start}>
        <label for="x-format">Format</label>
        <select id="x-format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
          <option value="coco">COCO</option>
          <option value="azureml-jsonl">Azure ML JSONL + MLTable</option>
          <option value="yolo">YOLO</option>
          <option value="csv">CSV</option>
        </select>
        <label for="x-include">Include</label>
        <select id="x-include" value={include} onChange={(e) => setInclude(e.currentTarget.value)}>
          <option value="labeled">labeled images</option>
          <option value="labeled+prelabeled">labeled and prelabeled images</option>
        </select>
        <label for="x-split">Validation share (optional, e.g. 0.2)</label>
        <input
          id="x-split"
          inputMode="decimal"
          size={6}
          value={validation}
          onInput={(e) => setValidation(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Start export
        </button>
      </form>
      {problem && (
        <p role="alert" class="refusal">
          {problem}
        </p>
      )}
      {listing.error && <p role="alert">{listing.error}</p>}
      {pager('exports')}
      {ids.length === 0 ? (
        <p>No export yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption>Exports</caption>
            <thead>
              <tr>
                <th scope="col">Export</th>
                <th scope="col">Format</th>
                <th scope="col">Requested</th>
                <th scope="col">State</th>
                <th scope="col">Contents</th>
                <th scope="col">Files</th>
              </tr>
            </thead>
            <tbody>
              {ids.map((id) => (
                <ExportRow key={id} projectId={props.projectId} exportId={id} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
