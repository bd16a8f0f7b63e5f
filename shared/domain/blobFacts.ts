import { extensionOf } from './imageTypes';
import type { Dataset } from './project';
import { isNewerSequencer, shuffleKeyFor, taskIdFor, type Task, type TaskState } from './task';

/** What ingestion learned about one blob (from an event or a listing, plus its image header). */
export interface BlobFacts {
  container: string;
  blobPath: string;
  blobUrl: string;
  contentType: string;
  sizeBytes: number;
  eTag: string;
  /** '' for listings (no Event Grid sequencer). */
  sequencer: string;
  width: number | null;
  height: number | null;
  /** Set when the blob cannot be a labeling task (unsupported type, unreadable header…). */
  rejectReason?: string;
}

/** Whether a blob path belongs to a project's dataset (container, prefix and extension). */
export function belongsToDataset(dataset: Dataset, container: string, blobPath: string): boolean {
  return dataset.container === container && blobPath.startsWith(dataset.prefix);
}

export function isAcceptedExtension(dataset: Dataset, blobPath: string): boolean {
  return dataset.extensions.includes(extensionOf(blobPath));
}

export type Decision = { kind: 'ignore'; reason: string } | { kind: 'write'; task: Task };

function freshTask(projectId: string, f: BlobFacts, now: string): Task {
  const id = taskIdFor(f.container, f.blobPath);
  return {
    id,
    projectId,
    container: f.container,
    blobPath: f.blobPath,
    blobUrl: f.blobUrl,
    contentType: f.contentType,
    sizeBytes: f.sizeBytes,
    width: f.width,
    height: f.height,
    eTag: f.eTag,
    sequencer: f.sequencer,
    state: f.rejectReason ? 'rejected' : 'new',
    ...(f.rejectReason ? { rejectReason: f.rejectReason } : {}),
    shuffleKey: shuffleKeyFor(id),
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Applies a BlobCreated (or a listed blob) to what the store holds. Event Grid delivers at least once and out of
 * order, so an event is applied only when its sequencer is newer than the one recorded; a stale create can never
 * resurrect a deleted blob, and a duplicate changes nothing.
 */
export function decideBlobCreated(projectId: string, existing: Task | undefined, f: BlobFacts, now: string): Decision {
  if (!existing) return { kind: 'write', task: freshTask(projectId, f, now) };
  if (f.sequencer === '') {
    // A listing carries no sequencer. It can only bring back a removed task when the blob it sees is a different
    // upload (another eTag) than the one that was deleted: a lost create event after a re-upload. A listing that
    // still shows the deleted blob itself is just older than the delete. A tombstone from a delete we saw first
    // has no eTag to compare, so a listing cannot tell a re-upload from a stale view: it stays removed.
    const reuploaded =
      existing.state === 'removed' && existing.eTag !== '' && f.eTag !== '' && f.eTag !== existing.eTag;
    if (!reuploaded) return { kind: 'ignore', reason: 'already registered' };
  } else if (!isNewerSequencer(f.sequencer, existing.sequencer)) {
    return { kind: 'ignore', reason: 'stale or duplicate event' };
  }

  const metadata = {
    blobUrl: f.blobUrl,
    contentType: f.contentType,
    sizeBytes: f.sizeBytes,
    width: f.width,
    height: f.height,
    eTag: f.eTag,
    // A listing's '' never replaces a real sequencer: later events still compare against the last one applied.
    sequencer: f.sequencer || existing.sequencer,
    updatedAt: now,
  };
  if (f.rejectReason) {
    // A newer upload that is not a usable image: keep any labels, but take it out of the work.
    const { assignment: _dropped, ...rest } = existing;
    return { kind: 'write', task: { ...rest, ...metadata, state: 'rejected', rejectReason: f.rejectReason } };
  }
  let state: TaskState = existing.state;
  if (existing.state === 'removed') {
    // The new upload is a usable image, so a task that was rejected before its removal becomes work again.
    const before = existing.stateBeforeRemoval;
    state = before && before !== 'rejected' ? before : existing.annotation ? 'labeled' : 'new';
  }
  if (existing.state === 'rejected') state = existing.annotation ? 'labeled' : 'new';
  const { stateBeforeRemoval: _s, rejectReason: _r, ...rest } = existing;
  return { kind: 'write', task: { ...rest, ...metadata, state } };
}

/** Applies a BlobDeleted. Labels are kept; the task leaves the work pool and the exports. */
export function decideBlobDeleted(
  projectId: string,
  existing: Task | undefined,
  container: string,
  blobPath: string,
  blobUrl: string,
  sequencer: string,
  now: string,
): Decision {
  if (!existing) {
    // Tombstone: a create for this blob delivered later, with an older sequencer, must not register it.
    const tomb = freshTask(
      projectId,
      { container, blobPath, blobUrl, contentType: '', sizeBytes: 0, eTag: '', sequencer, width: null, height: null },
      now,
    );
    return { kind: 'write', task: { ...tomb, state: 'removed', stateBeforeRemoval: 'new' } };
  }
  if (!isNewerSequencer(sequencer, existing.sequencer)) return { kind: 'ignore', reason: 'stale or duplicate event' };
  if (existing.state === 'removed') return { kind: 'write', task: { ...existing, sequencer, updatedAt: now } };
  const { assignment: _released, ...rest } = existing;
  const before: TaskState = existing.state === 'assigned' ? (existing.prelabel ? 'prelabeled' : 'new') : existing.state;
  return {
    kind: 'write',
    task: { ...rest, state: 'removed', stateBeforeRemoval: before, sequencer, updatedAt: now },
  };
}
