import type { Versioned } from './labelStore';

/**
 * Records of the labeling workflow that sit next to tasks in the same project partition: memberships, batches and
 * training-run requests. Both store adapters implement it (SQLite tables; Cosmos documents in `projectData`).
 */

import type { Batch, Member, TrainingRun } from '../domain/labelingRecords';

export type { Batch, BatchState, Member, MemberRole, TrainingRun, TrainingRunState } from '../domain/labelingRecords';

export interface LabelingRecords {
  putMember(member: Member): Promise<void>;
  deleteMember(projectId: string, userId: string): Promise<boolean>;
  getMember(projectId: string, userId: string): Promise<Member | undefined>;
  listMembers(projectId: string): Promise<Member[]>;
  /** Projects a user belongs to (labelers see only these). */
  listMemberships(userId: string): Promise<Member[]>;

  /** Inserts unless a batch with this id exists; returns the stored one either way. */
  insertBatch(batch: Batch): Promise<{ created: boolean; batch: Versioned<Batch> }>;
  getBatch(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined>;
  /** The labeler's live batch in a project, if any (at most one exists). */
  getLiveBatch(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined>;
  /** Replaces if `ifMatch` is still the etag; throws ConflictError otherwise. */
  replaceBatch(batch: Batch, ifMatch: string): Promise<Versioned<Batch>>;
  /** Labelers with a live batch in the project (batch sizing splits the tail of the queue among them). */
  countLiveBatches(projectId: string): Promise<number>;

  /** Inserts unless a run with this id exists. */
  insertTrainingRun(run: TrainingRun): Promise<{ created: boolean; run: TrainingRun }>;
  listTrainingRuns(projectId: string): Promise<TrainingRun[]>;
}
