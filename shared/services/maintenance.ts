import type { CounterDelta } from '../domain/counters';
import type { Project } from '../domain/project';
import type { BlobGateway } from '../ports/blobGateway';
import type { Store } from '../ports/store';
import { BatchService } from './batches';
import { TrainingService } from './training';

export interface ProjectUpkeep {
  /** Live batches past their lease that the sweep closed (their sessions were gone or never timed out). */
  expiredBatches: number;
  /** What the recount repaired (rebuilt minus stored), when it ran; empty when nothing had drifted. */
  counterDrift?: CounterDelta;
  /** A training threshold is reached: the coordinator should look (covers a lost nudge). */
  trainingDue: boolean;
}

/**
 * The reconcile timer's upkeep of one project, beyond the blob reconciliation: leases that expire without their
 * session, counters that drifted (a counter write lost after its task write), and a training run that is due.
 */
export class MaintenanceService {
  readonly #store: Store;
  readonly #batches: BatchService;
  readonly #training: TrainingService;

  constructor(deps: { store: Store; blobs: BlobGateway; now?: () => Date }) {
    this.#store = deps.store;
    this.#batches = new BatchService(deps);
    this.#training = new TrainingService(deps);
  }

  async upkeep(project: Project, opts: { recount: boolean }): Promise<ProjectUpkeep> {
    const expiredBatches = await this.#batches.sweepExpired(project.id);
    const counterDrift = opts.recount ? (await this.#store.tasks.recountCounters(project.id)).drift : undefined;
    const trainingDue = (await this.#training.due(project)) !== undefined;
    return { expiredBatches, trainingDue, ...(counterDrift ? { counterDrift } : {}) };
  }
}
