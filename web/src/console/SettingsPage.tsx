import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { Modal } from '../keyboard/Modal';
import { useShortcuts } from '../keyboard/ShortcutScope';
import { palette } from './charts';
import type { AdminProject, ProjectPatch } from './consoleTypes';
import { controlId, useFieldProblems } from './fieldProblems';
import { formOf, numberFields, patchOf, type Form, type NumberField } from './settingsForm';
import { usePolling } from './usePolling';

/**
 * What `PATCH /api/projects/{p}` allows (name, instructions, added labels, ML Assist, batches, incremental refresh),
 * pause / resume, and archive after a confirmation. A save sends only the changed fields, with the version the page
 * read as If-Match: a change someone made meanwhile is reported, not overwritten.
 */
export function SettingsPage(props: { projectId: string }) {
  const base = projectPath(props.projectId);
  // Read once (and after each action): a poll must not reset what the owner is typing.
  const project = usePolling<AdminProject>(base, 60_000, () => false);
  const p = project.data;
  // The form is the project as last read (the first read, after a save, `r`) with the owner's edits on top, derived
  // in the same render as the rest of the page: set from an effect, it lagged one render behind a new read, which
  // then showed a label just saved both in the list and as a row still to add.
  const [edit, setEdit] = useState<{ source: AdminProject; form: Form } | undefined>(undefined);
  const form = p && (edit?.source === p ? edit.form : formOf(p));
  const setForm = (next: Form) => p && setEdit({ source: p, form: next });
  const [done, setDone] = useState<string | undefined>(undefined);
  const [refused, setRefused] = useState<string | undefined>(undefined);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [busy, setBusy] = useState(false);
  const problems = useFieldProblems();

  const act = async (what: string, method: string, path: string, body?: ProjectPatch, ifMatch?: string) => {
    setBusy(true);
    setDone(undefined);
    problems.clear();
    try {
      await api(method, path, { ...(body ? { body } : {}), headers: ifMatch ? { 'if-match': ifMatch } : {} });
      setDone(`${what}: done.`);
      project.reload();
    } catch (err) {
      // What the owner typed stays in the form, to be corrected (a re-read would put the saved values back).
      setRefused(what);
      problems.refuse(err);
    }
    setBusy(false);
  };

  const archived = p?.status === 'archived';
  const save = (e?: Event) => {
    e?.preventDefault();
    if (!p || !form || archived) return;
    const patch = patchOf(p, form);
    if (!Object.keys(patch).length) {
      problems.clear();
      setDone('Nothing to save: no setting was changed.');
      return;
    }
    void act('Save', 'PATCH', base, patch, p.etag);
  };
  const pauseOrResume = () => {
    if (!p || archived) return;
    const resume = p.status === 'paused';
    void act(resume ? 'Resume labeling' : 'Pause labeling', 'PATCH', base, { status: resume ? 'active' : 'paused' });
  };
  useShortcuts([
    { keys: 'Enter (in a field)', action: 'Save the settings' },
    { keys: 'p', action: 'Pause or resume labeling', run: pauseOrResume },
    { keys: 'a', action: 'Archive the project (asks first)', run: () => p && !archived && setConfirmArchive(true) },
    { keys: 'r', action: 'Read the project again (drops unsaved changes)', run: project.reload },
  ]);

  if (!p || !form) return project.error ? <p role="alert">{project.error}</p> : <p role="status">Loading…</p>;
  const detection = p.type === 'objectDetection';
  const setNumber = (field: NumberField, value: string) =>
    setForm({ ...form, numbers: { ...form.numbers, [field]: value } });
  const setNewLabel = (i: number, change: Partial<Form['newLabels'][number]>) =>
    setForm({ ...form, newLabels: form.newLabels.map((l, k) => (k === i ? { ...l, ...change } : l)) });
  const numberInput = (field: NumberField, text: string, disabled = false) => (
    <Fragment key={field}>
      <label for={controlId(field)}>{text}</label>
      <input
        id={controlId(field)}
        inputMode="decimal"
        value={form.numbers[field]}
        disabled={disabled || archived}
        onInput={(e) => setNumber(field, e.currentTarget.value)}
        {...problems.marks(field)}
      />
      {problems.beside(field)}
    </Fragment>
  );

  return (
    <div>
      <div role="status">{done && <p class="notice">{done}</p>}</div>
      {problems.problem && (
        <p role="alert" class="refusal">
          {refused} was refused: {problems.problem.text}
        </p>
      )}
      <section aria-labelledby="h-status" class="panel">
        <h2 id="h-status">Status: {p.status}</h2>
        {archived ? (
          <p>The project is archived: labelers no longer see it, and it can no longer be changed.</p>
        ) : (
          <p>
            <button type="button" class="primary" disabled={busy} onClick={pauseOrResume}>
              {p.status === 'paused' ? 'Resume labeling' : 'Pause labeling'}
            </button>{' '}
            <span class="meta">
              {p.status === 'paused'
                ? 'Paused: labelers get no new batch until it is resumed.'
                : 'Pausing stops new batches; batches already handed out can still be finished.'}
            </span>
          </p>
        )}
      </section>
      <form class="form" onSubmit={save} noValidate>
        <fieldset disabled={archived}>
          <legend>Project</legend>
          <label for="f-name">Name</label>
          <input
            id="f-name"
            value={form.name}
            onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
            {...problems.marks('name')}
          />
          {problems.beside('name')}
          <label for="f-instructions">Instructions for labelers (Markdown)</label>
          <textarea
            id="f-instructions"
            rows={4}
            value={form.instructions}
            onInput={(e) => setForm({ ...form, instructions: e.currentTarget.value })}
            {...problems.marks('instructions')}
          />
          {problems.beside('instructions')}
        </fieldset>
        <fieldset disabled={archived}>
          <legend>Labels</legend>
          <p class="meta">Labels can be added, never removed, renamed or recoloured: annotations refer to them.</p>
          <ul class="label-list">
            {p.labels.map((l, i) => (
              <li key={l.name}>
                <span
                  class="swatch"
                  style={{ background: l.color ?? palette[i % palette.length] }}
                  aria-hidden="true"
                />
                {l.name}
              </li>
            ))}
          </ul>
          <ol class="label-rows">
            {form.newLabels.map((l, i) => (
              <li key={i}>
                <label for={controlId(`addLabels.${i}.name`)}>New label {i + 1} name</label>
                <input
                  id={controlId(`addLabels.${i}.name`)}
                  value={l.name}
                  onInput={(e) => setNewLabel(i, { name: e.currentTarget.value })}
                  {...problems.marks(`addLabels.${i}.name`)}
                />
                {problems.beside(`addLabels.${i}.name`)}
                <label for={controlId(`addLabels.${i}.color`)} class="visually-hidden">
                  New label {i + 1} colour
                </label>
                <input
                  id={controlId(`addLabels.${i}.color`)}
                  type="color"
                  value={l.color}
                  onInput={(e) => setNewLabel(i, { color: e.currentTarget.value })}
                />
                <button
                  type="button"
                  onClick={() => setForm({ ...form, newLabels: form.newLabels.filter((_, k) => k !== i) })}
                >
                  Remove <span class="visually-hidden">new label {i + 1}</span>
                </button>
              </li>
            ))}
          </ol>
          {problems.beside('addLabels')}
          <button
            type="button"
            onClick={() =>
              setForm({
                ...form,
                newLabels: [
                  ...form.newLabels,
                  { name: '', color: palette[(p.labels.length + form.newLabels.length) % palette.length]! },
                ],
              })
            }
          >
            Add a label
          </button>
        </fieldset>
        {detection && (
          <fieldset disabled={archived}>
            <legend>ML Assist</legend>
            <label class="check">
              <input
                id={controlId('mlAssist.enabled')}
                type="checkbox"
                checked={form.mlAssistEnabled}
                onChange={(e) => setForm({ ...form, mlAssistEnabled: e.currentTarget.checked })}
              />
              Train a model on the labels and prelabel the rest
            </label>
            {problems.beside('mlAssist.enabled')}
            {numberFields
              .filter((f) => f.field.startsWith('mlAssist.'))
              .map((f) => numberInput(f.field, f.text, !form.mlAssistEnabled))}
          </fieldset>
        )}
        <fieldset disabled={archived}>
          <legend>Batches</legend>
          {numberFields.filter((f) => f.field.startsWith('batchPolicy.')).map((f) => numberInput(f.field, f.text))}
        </fieldset>
        <fieldset disabled={archived}>
          <legend>Listing the container</legend>
          <label class="check">
            <input
              type="checkbox"
              checked={form.refreshEnabled}
              onChange={(e) => setForm({ ...form, refreshEnabled: e.currentTarget.checked })}
            />
            List the container again on a schedule (finds images no event announced)
          </label>
          {numberFields
            .filter((f) => f.field.startsWith('incrementalRefresh.'))
            .map((f) => numberInput(f.field, f.text, !form.refreshEnabled))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy || archived}>
          Save settings
        </button>
      </form>
      {!archived && (
        <section aria-labelledby="h-archive" class="panel">
          <h2 id="h-archive">Archive</h2>
          <p>Archiving ends the project: labelers no longer see it and nothing in it can be changed.</p>
          <button type="button" onClick={() => setConfirmArchive(true)}>
            Archive the project…
          </button>
        </section>
      )}
      {confirmArchive && (
        <Modal title={`Archive ${p.name}?`} onClose={() => setConfirmArchive(false)}>
          <p>It cannot be undone: the project can no longer be changed, and labelers no longer see it.</p>
          <button
            type="button"
            class="primary"
            onClick={() => {
              setConfirmArchive(false);
              void act('Archive', 'POST', `${base}/archive`);
            }}
          >
            Archive
          </button>{' '}
          <button type="button" autofocus onClick={() => setConfirmArchive(false)}>
            Cancel
          </button>
        </Modal>
      )}
    </div>
  );
}
