import { z } from 'zod';
import { backfillInstanceId } from './backfill';
import { exportIdSchema } from './formats/exportRequest';
import { importIdSchema } from './imports/importJob';
import { labelerDigestLength, labelerSessionPrefix, mlAssistInstanceId } from './labelingIds';
import { trainingRunIdPattern } from './training';

/**
 * Which durable instances belong to a project, told from their ids alone (the ops view lists them by instance-id
 * prefix, the one filter the task hub offers besides time and status). A prefix is not enough: project `shop` owns
 * `labeler-shop-…`, and so would the prefix query for it return `labeler-shop-eu-…` of project `shop-eu`. So each
 * kind also says what may follow the prefix for an id of this very project.
 */

export const orchestrationKinds = [
  'backfill',
  'mlAssist',
  'labelerSession',
  'predictions',
  'export',
  'import',
] as const;
export type OrchestrationKind = (typeof orchestrationKinds)[number];

/** The prelabel fan-out of one training run: `predictions-{projectId}-{runId}`. */
export const predictionsInstancePrefix = (projectId: string) => `predictions-${projectId}-`;

/** One export of the project: `export-{projectId}-{exportId}`. */
export const exportInstancePrefix = (projectId: string) => `export-${projectId}-`;

/** One import from blobs: `import-{projectId}-{importId}`. */
export const importInstancePrefix = (projectId: string) => `import-${projectId}-`;

interface KindRule {
  /** The orchestration function the instances run. */
  orchestration: string;
  prefix(projectId: string): string;
  /** Whether an id the prefix query returned is this project's (`rest` = the id after the prefix). */
  ownsRest(rest: string): boolean;
}

const base64urlDigest = new RegExp(`^[A-Za-z0-9_-]{${labelerDigestLength}}$`);

const rules: Record<OrchestrationKind, KindRule> = {
  backfill: { orchestration: 'backfillProject', prefix: backfillInstanceId, ownsRest: (rest) => rest === '' },
  mlAssist: { orchestration: 'mlAssist', prefix: mlAssistInstanceId, ownsRest: (rest) => rest === '' },
  labelerSession: {
    orchestration: 'labelerSession',
    prefix: labelerSessionPrefix,
    ownsRest: (rest) => base64urlDigest.test(rest),
  },
  predictions: {
    orchestration: 'applyPredictions',
    prefix: predictionsInstancePrefix,
    ownsRest: (rest) => trainingRunIdPattern.test(rest),
  },
  export: {
    orchestration: 'exportProject',
    prefix: exportInstancePrefix,
    ownsRest: (rest) => exportIdSchema.safeParse(rest).success,
  },
  import: {
    orchestration: 'importProject',
    prefix: importInstancePrefix,
    ownsRest: (rest) => importIdSchema.safeParse(rest).success,
  },
};

export function instanceIdPrefix(kind: OrchestrationKind, projectId: string): string {
  return rules[kind].prefix(projectId);
}

/** The kind of a project's instance, or undefined when the id belongs to another project (or to none). */
export function kindOfInstance(projectId: string, instanceId: string): OrchestrationKind | undefined {
  return orchestrationKinds.find((kind) => {
    const prefix = rules[kind].prefix(projectId);
    return instanceId.startsWith(prefix) && rules[kind].ownsRest(instanceId.slice(prefix.length));
  });
}

export function orchestrationOf(kind: OrchestrationKind): string {
  return rules[kind].orchestration;
}

/**
 * Where a listing stopped: the kind it was walking (an index into the kinds asked for) and the task hub's own
 * continuation token within that kind's prefix query. Opaque to callers.
 */
export interface ListingCursor {
  kind: number;
  hubToken?: string;
}

const cursorSchema = z.strictObject({
  kind: z
    .number()
    .int()
    .min(0)
    .max(orchestrationKinds.length - 1),
  hubToken: z.string().min(1).max(4096).optional(),
});

export function encodeCursor(cursor: ListingCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The cursor in a continuation token, or undefined when the token is not one this API handed out. */
export function decodeCursor(token: string): ListingCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
