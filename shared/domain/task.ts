import { createHash } from 'node:crypto';

/**
 * Task lifecycle:
 *   new ──claim──▶ assigned ──submit──▶ labeled
 *    ▲  ◀─release──┘        └──skip───▶ skipped
 *   prelabeled (model suggestion waiting for review) ──claim──▶ assigned
 *   any ──blob deleted──▶ removed (labels kept, left out of exports); removed ──blob re-created──▶ previous state
 *   rejected: the blob is not a usable image (reason recorded); a newer upload of the same path can fix it.
 */
export const taskStates = ['new', 'prelabeled', 'assigned', 'labeled', 'skipped', 'removed', 'rejected'] as const;
export type TaskState = (typeof taskStates)[number];

/** States from which a task can be handed to a labeler. */
export const claimableStates: readonly TaskState[] = ['prelabeled', 'new'];

export interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Model confidence, prelabels only. */
  score?: number;
}

export interface Annotation {
  /** Object detection. */
  boxes?: Box[];
  /** Classification (one label, or several for multi-label). */
  labels?: string[];
  by: string;
  at: string;
  secondsOnTask?: number;
  /** For a task that had a prelabel: whether it was accepted unchanged, edited or cleared. */
  prelabelOutcome?: 'accepted' | 'edited' | 'cleared';
  /** The run whose prelabel the labeler saw (the model's precision in the field, per run). */
  prelabelRunId?: string;
  /** Labels that came from a file (`POST …/imports`) rather than from a labeler: which import and which format. */
  imported?: { importId: string; format: string };
}

export interface Prelabel {
  boxes?: Box[];
  labels?: string[];
  modelRunId: string;
  /** How sure the model is about the image (shared/domain/uncertainty.ts): queues sort least confident first. */
  confidence: number;
  /** The calibrated score at or above which the run's boxes became prelabels. */
  threshold?: number;
  at: string;
}

/** A model's view of an image it did not prelabel (nothing above the threshold): still ranks the manual queue. */
export interface ModelScore {
  modelRunId: string;
  confidence: number;
  at: string;
}

export interface Assignment {
  batchId: string;
  labelerId: string;
  leaseExpiresAt: string;
}

export interface Task {
  id: string;
  projectId: string;
  container: string;
  blobPath: string;
  blobUrl: string;
  contentType: string;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  eTag: string;
  /** Event Grid sequencer of the blob event last applied ('' when registered by a listing). */
  sequencer: string;
  state: TaskState;
  /** The state to return to when a removed blob is re-created. */
  stateBeforeRemoval?: TaskState;
  rejectReason?: string;
  assignment?: Assignment;
  /** The last assignment that ended without a submission (lease expiry or release). */
  releasedFrom?: Assignment & { at: string };
  annotation?: Annotation;
  prelabel?: Prelabel;
  /** A prelabel that arrived while the task was out in a batch: shown once the batch lets the task go. */
  pendingPrelabel?: Prelabel;
  modelScore?: ModelScore;
  skip?: { by: string; at: string; reason?: string };
  /** Random sort key fixed at registration: "shuffled until a model exists" without re-shuffling. */
  shuffleKey: number;
  createdAt: string;
  updatedAt: string;
}

/** Who a task belongs to for the "labeled by" filter: the assignee, the labeler or the skipper. */
export function labelerOf(t: Task): string | null {
  return t.assignment?.labelerId ?? t.annotation?.by ?? t.skip?.by ?? null;
}

/**
 * Deterministic task id from the blob's location, so every event, listing and retry for the same blob lands on
 * the same record.
 */
export function taskIdFor(container: string, blobPath: string): string {
  return 't' + createHash('sha256').update(`${container}/${blobPath}`).digest('base64url').slice(0, 26);
}

/** Stable pseudo-random number in [0, 1) from the task id (no Math.random: replays and retries agree). */
export function shuffleKeyFor(taskId: string): number {
  return createHash('sha256').update(taskId).digest().readUInt32BE(0) / 2 ** 32;
}

/** Event Grid sequencers compare as strings of equal length; a listing carries none (''), older than any event. */
export function isNewerSequencer(candidate: string, current: string): boolean {
  if (candidate === '') return false;
  if (current === '') return true;
  // Hex digits: Azure's own samples mix upper- and lower-case, so compare case-insensitively.
  const width = Math.max(candidate.length, current.length);
  return candidate.toLowerCase().padStart(width, '0') > current.toLowerCase().padStart(width, '0');
}

/** States that count as "live" work in a project (not removed, not rejected). */
export function isLive(state: TaskState): boolean {
  return state !== 'removed' && state !== 'rejected';
}

/**
 * The number the manual and review queues sort on, least confident first: the model's confidence about the image
 * (its prelabel's, or its score where it drew nothing above the threshold); undefined until a model has looked.
 */
export function queueConfidence(task: Pick<Task, 'prelabel' | 'modelScore'>): number | undefined {
  return task.prelabel?.confidence ?? task.modelScore?.confidence;
}
