import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { useShortcuts } from '../keyboard/ShortcutScope';
import { BarChart, ColumnChart, palette } from './charts';
import type { AdminProject, Dashboard, RunSummary } from './consoleTypes';
import { usePolling } from './usePolling';

const pct = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x * 100)} %`);
const num = (x: number | undefined, digits = 2) => (x === undefined ? '–' : x.toFixed(digits));
const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '–');
const activeRun = (r: RunSummary) => ['requested', 'queued', 'running', 'validating', 'prelabeling'].includes(r.state);

const phases: Record<Dashboard['mlAssist']['phase'], string> = {
  off: 'ML Assist is off for this project.',
  collectingLabels: 'Collecting manual labels.',
  trainingDue: 'Enough labels: a training run is about to start.',
  training: 'A model is training.',
  prelabeling: 'A model passed the gate: its prelabels are being written.',
};

/** A sentence for the gate's decision on one run. */
function gateDecision(r: RunSummary): string {
  if (r.state === 'canceled') return r.failure ? `Canceled: ${r.failure}` : 'Canceled';
  if (r.failure) return `Failed: ${r.failure}`;
  if (!r.gate) return activeRun(r) ? 'Not decided yet' : '–';
  if (r.gate.passed) return `Passed: boxes scored ≥ ${num(r.gate.threshold)} become prelabels`;
  const more = r.gate.additionalLabelsNeeded ? ` (${r.gate.additionalLabelsNeeded} more labels asked for)` : '';
  return `Not good enough yet: ${r.gate.reason ?? 'below the targets'}${more}`;
}

/** Messages of the last action (train now, cancel, refresh), read out by screen readers. */
function useAction(reload: () => void) {
  const [message, setMessage] = useState<{ text: string; failed: boolean } | undefined>(undefined);
  const run = async (what: string, method: string, path: string) => {
    setMessage(undefined);
    try {
      await api(method, path);
      setMessage({ text: `${what}: done.`, failed: false });
    } catch (err) {
      setMessage({ text: `${what} was refused: ${(err as Error).message}`, failed: true });
    }
    reload();
  };
  return { message, run };
}

export function DashboardPage(props: { projectId: string }) {
  const base = projectPath(props.projectId);
  const dash = usePolling<Dashboard>(`${base}/dashboard`);
  const project = usePolling<AdminProject>(base);
  const reload = () => {
    dash.reload();
    project.reload();
  };
  const action = useAction(reload);
  const refreshFromStorage = () => action.run('Refresh from storage', 'POST', `${base}/refresh`);
  const trainNow = () => action.run('Train now', 'POST', `${base}/training-runs`);
  useShortcuts([
    { keys: 'r', action: 'Read the figures again', run: reload },
    { keys: 't', action: 'Train now (ML Assist)', run: () => dash.data?.mlAssist.enabled && void trainNow() },
    { keys: 'l', action: 'List the container again (Refresh from storage)', run: () => void refreshFromStorage() },
  ]);
  const d = dash.data;
  const p = project.data;
  if (!d) return dash.error ? <p role="alert">{dash.error}</p> : <p role="status">Loading the dashboard…</p>;

  const colorOf = (label: string, i: number) =>
    p?.labels.find((l) => l.name === label)?.color ?? palette[i % palette.length]!;
  const t = d.totals;
  const toLabel = t.new + t.prelabeled + t.assigned;
  const ml = d.mlAssist;
  const backfill = p?.backfill;

  return (
    <div class="dashboard">
      {dash.error && <p role="alert">Could not refresh the figures: {dash.error}</p>}
      {/* Kept in view while the page scrolls, so an action's outcome shows wherever its button was. */}
      <div class="sticky">
        <div class="toolbar">
          <button type="button" onClick={refreshFromStorage}>
            Refresh from storage
          </button>
          <button type="button" disabled={!ml.enabled} onClick={trainNow}>
            Train now
          </button>
          {backfill?.runtimeStatus && (
            <span class="meta">
              Image listing: {backfill.runtimeStatus}
              {backfill.customStatus?.phase ? ` (${backfill.customStatus.phase})` : ''}
              {backfill.customStatus?.note ? ` — ${backfill.customStatus.note}` : ''}
              {backfill.failure ? ` — ${backfill.failure}` : ''}
            </span>
          )}
          <span class="meta">Updated {new Date(d.generatedAt).toLocaleTimeString()}</span>
        </div>
        <div role="status">
          {action.message && <p class={action.message.failed ? 'refusal' : 'notice'}>{action.message.text}</p>}
        </div>
      </div>

      <section aria-labelledby="h-totals">
        <h2 id="h-totals">Progress</h2>
        <dl class="figures">
          <div>
            <dt>Images</dt>
            <dd data-figure="images">{t.images}</dd>
          </div>
          <div>
            <dt>To label</dt>
            <dd data-figure="to-label">{toLabel}</dd>
          </div>
          <div>
            <dt>Labeled</dt>
            <dd>{t.labeled}</dd>
          </div>
          <div>
            <dt>Skipped</dt>
            <dd>{t.skipped}</dd>
          </div>
          <div>
            <dt>Done</dt>
            <dd>{pct(t.progress)}</dd>
          </div>
          <div>
            <dt>Not images / removed</dt>
            <dd>
              {t.rejected} / {t.removed}
            </dd>
          </div>
        </dl>
        <progress max={1} value={t.progress} aria-label="Share of images done">
          {pct(t.progress)}
        </progress>
      </section>

      <div class="charts">
        <ColumnChart
          title="Labeled per day"
          unit="images"
          columns={d.progressOverTime.daily.map((x) => ({ label: x.day.slice(5), value: x.labeled }))}
        />
        <ColumnChart
          title="Labeled per hour, last 48 hours (UTC)"
          unit="images"
          columns={d.progressOverTime.hourly.map((x) => ({ label: `${x.hour.slice(11, 13)}h`, value: x.labeled }))}
        />
        <BarChart
          title="How images were labeled"
          parts={[
            { label: 'by hand', value: t.labeledManually, color: '#0b6bcb' },
            { label: 'from prelabels', value: t.labeledFromPrelabels, color: '#a16207' },
            { label: 'imported', value: t.labeledImported, color: '#4b5563' },
          ]}
        />
        <BarChart
          title="Waiting: prelabeled vs manual"
          parts={[
            { label: 'prelabeled (review)', value: d.queue.prelabeled, color: '#a16207' },
            { label: 'manual', value: d.queue.manual, color: '#0b6bcb' },
            { label: 'in batches now', value: d.queue.inProgress, color: '#4b5563' },
          ]}
        />
        <BarChart
          title={`Boxes per class (${d.classes.total} in all)`}
          parts={d.classes.byLabel.map((c, i) => ({ label: c.label, value: c.count, color: colorOf(c.label, i) }))}
        />
      </div>

      <section aria-labelledby="h-ml">
        <h2 id="h-ml">ML Assist</h2>
        <p>
          {phases[ml.phase]}{' '}
          {ml.labelsNeededBeforeNextRun !== undefined && (
            <strong data-figure="labels-needed">
              {ml.labelsNeededBeforeNextRun} more manual labels needed before the next model run
            </strong>
          )}
          {ml.nextTrainingAt !== undefined && ` (at ${ml.nextTrainingAt} labeled; ${ml.labeled} now).`}
        </p>
        {ml.lastRunOutcome?.reason && (
          <p>
            Last run {ml.lastRunOutcome.runId} ({ml.lastRunOutcome.state}): {ml.lastRunOutcome.reason}
          </p>
        )}
        {ml.runs.length === 0 ? (
          <p>No training run yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption>Training runs</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">State</th>
                  <th scope="col">Requested</th>
                  <th scope="col">Labels</th>
                  <th scope="col">mAP@0.5</th>
                  <th scope="col">mAP@0.5:0.95</th>
                  <th scope="col">Mean IoU</th>
                  <th scope="col">Calibrated threshold</th>
                  <th scope="col">Gate</th>
                  <th scope="col">Prelabels accepted / edited / cleared</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {ml.runs.map((r) => (
                  <tr key={r.runId}>
                    <th scope="row">{r.runId}</th>
                    <td>
                      {r.state}
                      {r.progress !== undefined && activeRun(r) ? ` ${pct(r.progress)}` : ''}
                    </td>
                    <td>
                      {when(r.requestedAt)} ({r.trigger})
                    </td>
                    <td>{r.labeledAtRequest}</td>
                    <td>{num(r.metrics?.mAP50)}</td>
                    <td>{num(r.metrics?.mAP50_95)}</td>
                    <td>{num(r.metrics?.matchedMeanIoU)}</td>
                    <td>{num(r.gate?.threshold)}</td>
                    <td>{gateDecision(r)}</td>
                    <td>
                      {r.fieldOutcomes.accepted} / {r.fieldOutcomes.edited} / {r.fieldOutcomes.cleared}
                    </td>
                    <td>
                      {activeRun(r) && (
                        <button
                          type="button"
                          onClick={() =>
                            action.run(
                              `Cancel ${r.runId}`,
                              'POST',
                              `${base}/training-runs/${encodeURIComponent(r.runId)}/cancel`,
                            )
                          }
                        >
                          Cancel <span class="visually-hidden">{r.runId}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="h-labelers">
        <h2 id="h-labelers">Labelers</h2>
        {d.labelers.length === 0 ? (
          <p>No labeler has worked on this project yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption>Per-labeler performance</caption>
              <thead>
                <tr>
                  <th scope="col">Labeler</th>
                  <th scope="col">Labeled</th>
                  <th scope="col">Skipped</th>
                  <th scope="col">Boxes per image</th>
                  <th scope="col">Seconds per image (median / p90)</th>
                  <th scope="col">Prelabels accepted / edited / cleared</th>
                  <th scope="col">Last hour / day</th>
                  <th scope="col">Last active</th>
                </tr>
              </thead>
              <tbody>
                {d.labelers.map((l) => (
                  <tr key={l.labelerId}>
                    <th scope="row">{l.labelerId}</th>
                    <td>{l.labeled}</td>
                    <td>{l.skipped}</td>
                    <td>{num(l.boxesPerImage, 1)}</td>
                    <td>
                      {l.secondsPerImage
                        ? `${num(l.secondsPerImage.median, 1)} / ${num(l.secondsPerImage.p90, 1)}`
                        : '–'}
                    </td>
                    <td>
                      {l.prelabels.accepted} / {l.prelabels.edited} / {l.prelabels.cleared}
                    </td>
                    <td>
                      {l.throughput.lastHour} / {l.throughput.lastDay}
                    </td>
                    <td>{l.lastActiveHour ? when(l.lastActiveHour) : (l.lastActiveDay ?? '–')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
