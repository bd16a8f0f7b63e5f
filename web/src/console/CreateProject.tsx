import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { palette } from './charts';
import { controlId, useFieldProblems } from './fieldProblems';

/** ML Assist's settings (docs/api.md, POST /api/projects), filled with the API's defaults. */
const mlAssistFields = [
  { key: 'initialTrainingThreshold', text: 'Labeled images before the first training run' },
  { key: 'retrainAfterLabels', text: 'New labels between later runs' },
  { key: 'additionalLabelsOnRejectedModel', text: 'More labels asked for after a model is not good enough' },
  { key: 'minPrecision', text: 'Gate: lowest precision of prelabels (0–1)' },
  { key: 'minMeanIoU', text: 'Gate: lowest mean IoU of prelabels (0–1)' },
] as const;
type MlAssistKey = (typeof mlAssistFields)[number]['key'];
const mlAssistDefaults: Record<MlAssistKey, string> = {
  initialTrainingThreshold: '250',
  retrainAfterLabels: '500',
  additionalLabelsOnRejectedModel: '250',
  minPrecision: '0.9',
  minMeanIoU: '0.6',
};

interface LabelRow {
  name: string;
  color: string;
}

/**
 * Create a project: container and prefix, type, labels with colours, instructions, ML Assist. The API validates
 * (nothing is checked twice here); a refusal is shown in words naming each field, and those fields are marked.
 */
export function CreateProject(props: { onCreated: (projectId: string) => void }) {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [type, setType] = useState('objectDetection');
  const [container, setContainer] = useState('');
  const [prefix, setPrefix] = useState('');
  const [labels, setLabels] = useState<LabelRow[]>([{ name: '', color: palette[0]! }]);
  const [instructions, setInstructions] = useState('');
  const [mlAssist, setMlAssist] = useState(true);
  const [ml, setMl] = useState(mlAssistDefaults);
  const [busy, setBusy] = useState(false);
  const problems = useFieldProblems();

  const detection = type === 'objectDetection';
  const invalid = (field: string) => problems.marks(field)['aria-invalid'];
  const describedBy = (field: string) => problems.marks(field)['aria-describedby'];
  /** The API's words for one field, beside it (the alert at the top lists them all). */
  const fieldError = problems.beside;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    problems.clear();
    const body = {
      ...(id.trim() ? { id: id.trim() } : {}),
      name,
      type,
      labels: labels.map((l) => ({ name: l.name, color: l.color })),
      instructions,
      dataset: { container: container.trim(), ...(prefix.trim() ? { prefix: prefix.trim() } : {}) },
      // Numbers as typed: the API says which one is out of range or not a number (a blank is sent as 0, refused).
      mlAssist: detection
        ? { enabled: mlAssist, ...Object.fromEntries(mlAssistFields.map((f) => [f.key, Number(ml[f.key])])) }
        : { enabled: false },
    };
    try {
      const res = await api<{ id: string }>('POST', '/api/projects', { body });
      props.onCreated(res.body.id);
    } catch (err) {
      problems.refuse(err);
      setBusy(false);
    }
  };

  const setLabel = (i: number, change: Partial<LabelRow>) =>
    setLabels(labels.map((l, k) => (k === i ? { ...l, ...change } : l)));

  return (
    <form class="form" onSubmit={submit} noValidate>
      {problems.problem && (
        <p role="alert" class="refusal">
          The project was not created: {problems.problem.text}
        </p>
      )}
      <fieldset>
        <legend>Project</legend>
        <label for="f-name">Name</label>
        <input
          id="f-name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={invalid('name')}
          aria-describedby={describedBy('name')}
        />
        {fieldError('name')}
        <label for="f-id">Id (optional: lower-case letters, digits and hyphens; made from the name if empty)</label>
        <input
          id="f-id"
          value={id}
          onInput={(e) => setId(e.currentTarget.value)}
          aria-invalid={invalid('id')}
          aria-describedby={describedBy('id')}
        />
        {fieldError('id')}
        <label for="f-type">Type</label>
        <select id="f-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="objectDetection">Bounding boxes (object detection)</option>
          <option value="imageClassification">Classification, one label per image</option>
          <option value="imageClassificationMultiLabel">Classification, several labels per image</option>
        </select>
      </fieldset>
      <fieldset>
        <legend>Images</legend>
        <label for="f-dataset-container">Blob container</label>
        <input
          id="f-dataset-container"
          value={container}
          onInput={(e) => setContainer(e.currentTarget.value)}
          aria-invalid={invalid('dataset.container')}
          aria-describedby={describedBy('dataset.container')}
        />
        {fieldError('dataset.container')}
        <label for="f-dataset-prefix">Folder in the container (optional, e.g. 2024/)</label>
        <input
          id="f-dataset-prefix"
          value={prefix}
          onInput={(e) => setPrefix(e.currentTarget.value)}
          aria-invalid={invalid('dataset.prefix')}
          aria-describedby={describedBy('dataset.prefix')}
        />
        {fieldError('dataset.prefix')}
      </fieldset>
      <fieldset>
        <legend>Labels</legend>
        <ol class="label-rows">
          {labels.map((l, i) => (
            <li key={i}>
              <label for={controlId(`labels.${i}.name`)} class="visually-hidden">
                Label {i + 1} name
              </label>
              <input
                id={controlId(`labels.${i}.name`)}
                value={l.name}
                placeholder={`Label ${i + 1}`}
                onInput={(e) => setLabel(i, { name: e.currentTarget.value })}
                aria-invalid={invalid(`labels.${i}.name`)}
                aria-describedby={describedBy(`labels.${i}.name`)}
              />
              {fieldError(`labels.${i}.name`)}
              <label for={controlId(`labels.${i}.color`)} class="visually-hidden">
                Label {i + 1} colour
              </label>
              <input
                id={controlId(`labels.${i}.color`)}
                type="color"
                value={l.color}
                onInput={(e) => setLabel(i, { color: e.currentTarget.value })}
              />
              {labels.length > 1 && (
                <button type="button" onClick={() => setLabels(labels.filter((_, k) => k !== i))}>
                  Remove <span class="visually-hidden">label {i + 1}</span>
                </button>
              )}
            </li>
          ))}
        </ol>
        {fieldError('labels')}
        <button
          type="button"
          onClick={() => setLabels([...labels, { name: '', color: palette[labels.length % palette.length]! }])}
        >
          Add a label
        </button>
      </fieldset>
      <fieldset>
        <legend>Instructions for labelers</legend>
        <label for="f-instructions">Instructions (Markdown)</label>
        <textarea
          id="f-instructions"
          rows={4}
          value={instructions}
          onInput={(e) => setInstructions(e.currentTarget.value)}
          aria-invalid={invalid('instructions')}
          aria-describedby={describedBy('instructions')}
        />
        {fieldError('instructions')}
      </fieldset>
      {detection && (
        <fieldset>
          <legend>ML Assist</legend>
          <label class="check">
            <input type="checkbox" checked={mlAssist} onChange={(e) => setMlAssist(e.currentTarget.checked)} />
            Train a model on the labels and prelabel the rest
          </label>
          {mlAssistFields.map((f) => (
            <Fragment key={f.key}>
              <label for={controlId(`mlAssist.${f.key}`)}>{f.text}</label>
              <input
                id={controlId(`mlAssist.${f.key}`)}
                inputMode="decimal"
                value={ml[f.key]}
                disabled={!mlAssist}
                onInput={(e) => setMl({ ...ml, [f.key]: e.currentTarget.value })}
                aria-invalid={invalid(`mlAssist.${f.key}`)}
                aria-describedby={describedBy(`mlAssist.${f.key}`)}
              />
              {fieldError(`mlAssist.${f.key}`)}
            </Fragment>
          ))}
        </fieldset>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Create project
      </button>
    </form>
  );
}
