import type { AdminProject, ProjectPatch } from './consoleTypes';

/** The settings a PATCH can change, as form fields (strings as typed; the API checks them, not this page). */
export const numberFields = [
  { field: 'mlAssist.initialTrainingThreshold', text: 'Labeled images before the first training run' },
  { field: 'mlAssist.retrainAfterLabels', text: 'New labels between later runs' },
  { field: 'mlAssist.additionalLabelsOnRejectedModel', text: 'More labels asked for after a model is not good enough' },
  { field: 'mlAssist.minPrecision', text: 'Gate: lowest precision of prelabels (0–1)' },
  { field: 'mlAssist.minMeanIoU', text: 'Gate: lowest mean IoU of prelabels (0–1)' },
  { field: 'batchPolicy.size', text: 'Images per batch (with two or more labelers)' },
  { field: 'batchPolicy.leaseMinutes', text: 'Minutes idle before a batch returns to the pool' },
  { field: 'incrementalRefresh.intervalMinutes', text: 'Minutes between listings of the container' },
] as const;
export type NumberField = (typeof numberFields)[number]['field'];
type Group = 'mlAssist' | 'batchPolicy' | 'incrementalRefresh';

export interface Form {
  name: string;
  instructions: string;
  numbers: Record<NumberField, string>;
  mlAssistEnabled: boolean;
  refreshEnabled: boolean;
  newLabels: Array<{ name: string; color: string }>;
}

export function formOf(p: AdminProject): Form {
  const numbers = Object.fromEntries(
    numberFields.map(({ field }) => {
      const [group, key] = field.split('.') as [Group, string];
      return [field, String((p[group] as unknown as Record<string, number>)[key])];
    }),
  ) as Record<NumberField, string>;
  return {
    name: p.name,
    instructions: p.instructions,
    numbers,
    mlAssistEnabled: p.mlAssist.enabled,
    refreshEnabled: p.incrementalRefresh.enabled,
    newLabels: [],
  };
}

/** Only what the form changed: a PATCH changes the fields it names, so an untouched field is never sent back. */
export function patchOf(p: AdminProject, f: Form): ProjectPatch {
  const before = formOf(p);
  const patch: ProjectPatch = {};
  const groups: Record<Group, Record<string, unknown>> = { mlAssist: {}, batchPolicy: {}, incrementalRefresh: {} };
  if (f.name !== before.name) patch.name = f.name;
  if (f.instructions !== before.instructions) patch.instructions = f.instructions;
  if (f.newLabels.length) patch.addLabels = f.newLabels;
  if (f.mlAssistEnabled !== before.mlAssistEnabled) groups.mlAssist.enabled = f.mlAssistEnabled;
  if (f.refreshEnabled !== before.refreshEnabled) groups.incrementalRefresh.enabled = f.refreshEnabled;
  for (const { field } of numberFields) {
    if (f.numbers[field].trim() === before.numbers[field]) continue;
    const [group, key] = field.split('.') as [Group, string];
    // As typed: a blank or a word becomes 0 or NaN (sent as null), which the API refuses naming the field.
    groups[group][key] = Number(f.numbers[field]);
  }
  for (const group of Object.keys(groups) as Group[]) {
    if (Object.keys(groups[group]).length) (patch as Record<Group, unknown>)[group] = groups[group];
  }
  return patch;
}
