import type { ImportReport } from './consoleTypes';

/** Issues listed on the page; the report itself carries the first 100 and the counts of all. */
const shownIssues = 20;

const entries = (counts: Partial<Record<string, number>> | undefined) =>
  Object.entries(counts ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
const listed = (counts: Partial<Record<string, number>> | undefined) =>
  entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** An import's report in words: what was written, unchanged and left alone, or why the file was refused. */
export function ImportReportView(props: { report: ImportReport }) {
  const r = props.report;
  const leftAlone = entries(r.result?.leftAlone).reduce((s, [, n]) => s + n, 0);
  return (
    <section aria-labelledby="h-report" class="import-report">
      <h2 id="h-report">
        {r.result ? (r.dryRun ? 'Dry run: nothing was written' : 'Imported') : 'Refused: nothing was imported'}
      </h2>
      <p class="meta">
        Import {r.importId} · {r.format} as {r.as} · the file holds {r.images} images and {r.boxes} boxes
        {r.crowdIgnored ? ` (${r.crowdIgnored} crowd regions left out)` : ''}
      </p>
      {r.result && (
        <>
          <dl class="figures">
            <div>
              <dt>{r.dryRun ? 'Would be written' : 'Written'}</dt>
              <dd data-figure="written">{r.result.written}</dd>
            </div>
            <div>
              <dt>Unchanged</dt>
              <dd data-figure="unchanged">{r.result.unchanged}</dd>
            </div>
            <div>
              <dt>Left alone</dt>
              <dd data-figure="left-alone">{leftAlone}</dd>
            </div>
          </dl>
          {leftAlone > 0 && <p>Left alone (human work is never overwritten): {listed(r.result.leftAlone)}.</p>}
          {r.result.items.length > 0 && (
            <ul>
              {r.result.items.slice(0, shownIssues).map((i) => (
                <li key={i.taskId}>
                  {i.image}: {i.detail || i.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {r.issues.count > 0 && (
        <>
          <p>
            The file has {r.issues.count} issue(s): {listed(r.issues.byKind)}.
            {r.issues.unknownLabels &&
              ` Labels the project does not have (boxes): ${listed(r.issues.unknownLabels)}; add them in Settings or leave them out of the file.`}
          </p>
          <div class="table-wrap">
            <table>
              <caption>
                {r.issues.count > Math.min(shownIssues, r.issues.items.length)
                  ? `The first ${Math.min(shownIssues, r.issues.items.length)} of ${r.issues.count} issues`
                  : 'Issues'}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Where</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Image</th>
                  <th scope="col">Issue</th>
                </tr>
              </thead>
              <tbody>
                {r.issues.items.slice(0, shownIssues).map((i, k) => (
                  <tr key={k}>
                    <th scope="row">
                      {i.file === 'dataset' ? 'dataset: ' : ''}
                      {i.at}
                    </th>
                    <td>{i.kind}</td>
                    <td>{i.image ?? ''}</td>
                    <td>{i.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
