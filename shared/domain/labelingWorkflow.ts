/**
 * Names and payloads shared by the labeling orchestrations (deterministic, in orchestrations/) and the activities
 * and triggers that drive them (in functions/). Kept here so neither side imports the other.
 */
export const labelingOrchestrations = {
  labelerSession: 'labelerSession',
  mlAssist: 'mlAssist',
} as const;

export const labelingActivities = {
  allocateBatch: 'allocateBatchActivity',
  expireBatch: 'expireBatchActivity',
  evaluateTraining: 'evaluateTrainingTriggerActivity',
} as const;

export const labelingEvents = {
  /** Raised by `POST …/batches` when the session waits for the labeler's next request. */
  requestBatch: 'requestBatch',
  /** Raised when the live batch was finished or released, so the session stops waiting for its lease. */
  batchEnded: 'batchEnded',
  /**
   * Raised by labeled submissions once the labeled count has reached the next training threshold: a hint to
   * re-evaluate the training trigger (the store decides).
   */
  labeled: 'labeled',
} as const;

export interface LabelerSessionInput {
  projectId: string;
  labelerId: string;
  /** The request that started this session execution, if any. */
  requestId?: string;
}

export interface BatchRequestEvent {
  requestId: string;
}

/** Payload of `batchEnded`: which batch ended (the session ignores hints about earlier batches). */
export interface BatchEndedEvent {
  batchId: string;
}

export interface AllocateBatchInput {
  projectId: string;
  labelerId: string;
  requestId: string;
}

export interface AllocatedBatch {
  batchId: string;
  taskCount: number;
  leaseExpiresAt: string;
}

export interface ExpireBatchInput {
  projectId: string;
  batchId: string;
}

export interface ExpireBatchResult {
  closed: boolean;
  leaseExpiresAt?: string;
}

export interface MlAssistInput {
  projectId: string;
}

/**
 * Without any nudge the ML Assist coordinator still re-reads the counters this often: a lost nudge delays a
 * training request by at most this long, it cannot make one be missed.
 */
export const mlAssistSafetyIntervalMs = 60_000;
