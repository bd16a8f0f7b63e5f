import { useState } from 'preact/hooks';
import { api, ApiError, projectPath } from '../api';
import { useShortcuts } from '../keyboard/ShortcutScope';
import type { Problem } from '../problem';
import type {
  ImportAccepted,
  ImportFileSource,
  ImportFormat,
  ImportReport,
  ImportRequestBody,
  ImportStatus,
} from './consoleTypes';
import { controlId, useFieldProblems } from './fieldProblems';
import { ImportReportView } from './importReport';
import { usePolling } from './usePolling';

/** The API's cap on a request body (docs/api.md): a larger file goes as a blob path. */
const maxInlineBytes = 16 * 1024 * 1024;

const formats: Array<{ format: ImportFormat; text: string }> = [
  { format: 'coco', text: 'COCO dataset (instances_*.json)' },
  { format: 'azureml-jsonl', text: 'Azure ML JSONL' },
  { format: 'coco-results', text: 'COCO results (a model’s detections, as prelabels)' },
];

const finalStates: ReadonlyArray<ImportStatus['state']> = ['completed', 'refused', 'failed'];

/** A refusal the page found before sending (a file too large, or not JSON), in the API's problem shape. */
class LocalRefusal extends ApiError {
  constructor(field: string, message: string) {
    super(422, { errors: [{ field, message }] } satisfies Problem);
  }
}

/** The file's content as the request carries it inline: JSON parsed, Azure ML JSONL as its text. */
async function inlineOf(file: File, field: string, asText: boolean): Promise<unknown> {
  if (file.size > maxInlineBytes) {
    const mb = (file.size / 1024 / 1024).toFixed(1);
    throw new LocalRefusal(
      field,
      `the file is ${mb} MB; over 16 MB, upload it to the container and name its blob path`,
    );
  }
  const text = await file.text();
  if (asText) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new LocalRefusal(field, `${file.name} is not JSON (${(err as Error).message})`);
  }
}

/** An import running in the background (a blob path): its progress until it ends, then its report. */
function ImportProgress(props: { statusUrl: string }) {
  const status = usePolling<ImportStatus>(props.statusUrl, 1000, (s) => !finalStates.includes(s.state));
  const s = status.data;
  if (!s) return <p role="status">{status.error ?? 'The import was accepted; reading its progress…'}</p>;
  const { imagesScanned, imagesWritten, imagesTotal } = s.progress;
  return (
    <div>
      <p role="status">
        Import {s.importId}: {s.state}
        {!finalStates.includes(s.state) &&
          ` — ${imagesScanned}${imagesTotal !== undefined ? ` of ${imagesTotal}` : ''} images checked, ${imagesWritten} written`}
        {s.state === 'failed' && `: ${s.error ?? 'no reason given'}. Run it again: what was written stays.`}
      </p>
      {status.error && <p role="alert">Could not read the progress again: {status.error}</p>}
      {s.report && <ImportReportView report={s.report} />}
    </div>
  );
}

/**
 * Import labels made elsewhere (COCO, Azure ML JSONL) or a model's detections (COCO results, as prelabels): a file
 * from this computer, sent inline (up to 16 MB), or a blob in the project's container. The report says what was
 * written, what was already there and what was left alone; a refused file shows its issues, nothing written.
 */
export function ImportsPage(props: { projectId: string }) {
  const [format, setFormat] = useState<ImportFormat>('coco');
  const [as, setAs] = useState<'labels' | 'prelabels'>('labels');
  const [from, setFrom] = useState<'file' | 'blob'>('file');
  const [files, setFiles] = useState<{ source?: File; dataset?: File }>({});
  const [paths, setPaths] = useState({ source: '', dataset: '' });
  const [scoreThreshold, setScoreThreshold] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | undefined>(undefined);
  const [accepted, setAccepted] = useState<ImportAccepted | undefined>(undefined);
  const problems = useFieldProblems();
  const results = format === 'coco-results';
  const prelabels = results || as === 'prelabels';

  const sourceOf = async (which: 'source' | 'dataset'): Promise<ImportFileSource> => {
    if (from === 'blob') return { blobPath: paths[which].trim() };
    const file = files[which];
    if (!file) throw new LocalRefusal(which, 'choose a file');
    return { inline: await inlineOf(file, which, which === 'source' && format === 'azureml-jsonl') };
  };

  const submit = async (e?: Event) => {
    e?.preventDefault();
    setBusy(true);
    setReport(undefined);
    setAccepted(undefined);
    problems.clear();
    try {
      const body: ImportRequestBody = {
        format,
        source: await sourceOf('source'),
        ...(results ? { dataset: await sourceOf('dataset') } : { as }),
        ...(prelabels && scoreThreshold.trim() ? { scoreThreshold: Number(scoreThreshold) } : {}),
        dryRun,
      };
      const res = await api<ImportReport | ImportAccepted>('POST', `${projectPath(props.projectId)}/imports`, { body });
      if (res.status === 202) {
        const a = res.body as ImportAccepted;
        setAccepted({ ...a, statusUrl: res.headers.get('location') ?? a.statusUrl });
      } else setReport(res.body as ImportReport);
    } catch (err) {
      const refusedReport = err instanceof ApiError ? (err.body as { report?: ImportReport })?.report : undefined;
      if (refusedReport) setReport(refusedReport);
      problems.refuse(err);
    }
    setBusy(false);
  };
  useShortcuts([{ keys: 'Enter (in a field)', action: 'Import the file' }]);

  const fileOrPath = (which: 'source' | 'dataset', text: string) =>
    from === 'file' ? (
      <>
        <label for={controlId(which)}>{text}</label>
        <input
          id={controlId(which)}
          type="file"
          accept={
            which === 'source' && format === 'azureml-jsonl' ? '.jsonl,.json,text/plain' : '.json,application/json'
          }
          onChange={(e) => setFiles({ ...files, [which]: e.currentTarget.files?.[0] })}
          {...problems.marks(which)}
        />
        {problems.beside(which)}
      </>
    ) : (
      <>
        <label for={controlId(`${which}.blobPath`)}>{text}: blob path in the project’s container</label>
        <input
          id={controlId(`${which}.blobPath`)}
          value={paths[which]}
          onInput={(e) => setPaths({ ...paths, [which]: e.currentTarget.value })}
          {...problems.marks(`${which}.blobPath`)}
        />
        {problems.beside(`${which}.blobPath`)}
      </>
    );

  return (
    <div>
      <form class="form" onSubmit={submit} noValidate>
        {problems.problem && (
          <p role="alert" class="refusal">
            The import was refused: {problems.problem.text}
          </p>
        )}
        <fieldset>
          <legend>What to import</legend>
          <label for="f-format">Format</label>
          <select id="f-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as ImportFormat)}>
            {formats.map((f) => (
              <option key={f.format} value={f.format}>
                {f.text}
              </option>
            ))}
          </select>
          {!results && (
            <>
              <label for="f-as">The boxes become</label>
              <select id="f-as" value={as} onChange={(e) => setAs(e.currentTarget.value as 'labels' | 'prelabels')}>
                <option value="labels">labels (trusted, the images count as labeled)</option>
                <option value="prelabels">prelabels (for labelers to review)</option>
              </select>
            </>
          )}
          {prelabels && (
            <>
              <label for="f-scoreThreshold">Lowest score that becomes a prelabel (optional, default 0.5)</label>
              <input
                id="f-scoreThreshold"
                inputMode="decimal"
                value={scoreThreshold}
                onInput={(e) => setScoreThreshold(e.currentTarget.value)}
                {...problems.marks('scoreThreshold')}
              />
              {problems.beside('scoreThreshold')}
            </>
          )}
        </fieldset>
        <fieldset>
          <legend>Where the file is</legend>
          <label class="check">
            <input type="radio" name="from" checked={from === 'file'} onChange={() => setFrom('file')} />
            On this computer (up to 16 MB)
          </label>
          <label class="check">
            <input type="radio" name="from" checked={from === 'blob'} onChange={() => setFrom('blob')} />
            In the project’s blob container (up to 64 MB)
          </label>
          {fileOrPath('source', results ? 'Results file' : 'Labels file')}
          {results && fileOrPath('dataset', 'COCO dataset the results refer to')}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
          Dry run: check the file and report, write nothing
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </form>
      {accepted && <ImportProgress statusUrl={accepted.statusUrl} />}
      {report && <ImportReportView report={report} />}
    </div>
  );
}
