import { createHash } from 'node:crypto';
import type { Batch, Member, TrainingRun } from '../../shared/domain/labelingRecords';
import { withoutSystemProperties } from './documents';

/**
 * Labeling records as documents in a project's `projectData` partition. Their ids carry a type prefix with a colon,
 * which no task id (`t` + base64url) and not `counters` can contain, so they never collide with the label store's
 * documents; the domain id is kept in its own field (`batchId`, `runId`, `userId`).
 */

export interface MemberDocument extends Member {
  id: string;
  type: 'member';
}

export interface BatchDocument extends Omit<Batch, 'id'> {
  id: string;
  type: 'batch';
  batchId: string;
}

/**
 * Present while a labeler has a live batch in the project: creating it is what makes a batch live (see
 * liveBatches.ts). It holds a copy of the batch as inserted, so a batch whose insert stopped after taking the lock can
 * be completed by whoever finds the lock.
 */
export interface LiveBatchLockDocument {
  id: string;
  projectId: string;
  type: 'liveBatchLock';
  labelerId: string;
  batchId: string;
  batch: Batch;
}

export interface TrainingRunDocument extends Omit<TrainingRun, 'id'> {
  id: string;
  type: 'trainingRun';
  runId: string;
}

/** Where-clause for one record type of one project (binds `@projectId` and `@type`; see `inProject` for why). */
export const ofTypeInProject = 'c.projectId = @projectId AND c.type = @type';

const plainIdPart = /^[A-Za-z0-9._@+-]{1,200}$/;

/**
 * Cosmos ids may not contain `/ \ ? #` and are limited to 255 characters, while user ids may hold anything: a value
 * outside a plain character set is replaced by `~` and its SHA-256 (`~` is not in the plain set, so the two forms
 * cannot collide). The real value is always stored in the document too.
 */
export function idPart(value: string): string {
  return plainIdPart.test(value) ? value : `~${createHash('sha256').update(value).digest('base64url')}`;
}

export const memberDocumentId = (userId: string) => `member:${idPart(userId)}`;
export const batchDocumentId = (batchId: string) => `batch:${idPart(batchId)}`;
export const liveBatchLockId = (labelerId: string) => `liveBatch:${idPart(labelerId)}`;
export const trainingRunDocumentId = (runId: string) => `run:${idPart(runId)}`;

export function toMemberDocument(member: Member): MemberDocument {
  return { ...member, id: memberDocumentId(member.userId), type: 'member' };
}

export function fromMemberDocument(doc: Record<string, unknown>): Member {
  const { id: _id, type: _type, ...member } = withoutSystemProperties(doc);
  return member as unknown as Member;
}

export function toBatchDocument(batch: Batch): BatchDocument {
  const { id, ...rest } = batch;
  return { ...rest, id: batchDocumentId(id), type: 'batch', batchId: id };
}

export function fromBatchDocument(doc: Record<string, unknown>): Batch {
  const { id: _id, type: _type, batchId, ...rest } = withoutSystemProperties(doc);
  return { id: batchId, ...rest } as unknown as Batch;
}

export function toLiveBatchLock(batch: Batch): LiveBatchLockDocument {
  return {
    id: liveBatchLockId(batch.labelerId),
    projectId: batch.projectId,
    type: 'liveBatchLock',
    labelerId: batch.labelerId,
    batchId: batch.id,
    batch,
  };
}

export function toTrainingRunDocument(run: TrainingRun): TrainingRunDocument {
  const { id, ...rest } = run;
  return { ...rest, id: trainingRunDocumentId(id), type: 'trainingRun', runId: id };
}

export function fromTrainingRunDocument(doc: Record<string, unknown>): TrainingRun {
  const { id: _id, type: _type, runId, ...rest } = withoutSystemProperties(doc);
  return { id: runId, ...rest } as unknown as TrainingRun;
}

/** The order SQLite's `ORDER BY` gives text (BINARY collation compares UTF-8 bytes), so both adapters list alike. */
export function byUtf8<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b)));
}
