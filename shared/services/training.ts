import type { TrainingRun } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import { nextTrainingThreshold, trainingRunIdFor } from '../domain/training';
import type { Store } from '../ports/store';

export interface TrainingServiceDeps {
  store: Store;
  now?: () => Date;
}

export interface DueTraining {
  threshold: number;
  labeled: number;
}

/** The training trigger: whether a run is due, and requesting it exactly once per threshold crossing. */
export class TrainingService {
  readonly #d: TrainingServiceDeps;

  constructor(deps: TrainingServiceDeps) {
    this.#d = deps;
  }

  /** The threshold reached and the labeled count, when the labeled count has reached the next training threshold. */
  async due(project: Project): Promise<DueTraining | undefined> {
    if (project.status === 'archived') return undefined;
    const { store } = this.#d;
    const threshold = nextTrainingThreshold(project.mlAssist, await store.trainingRuns.list(project.id));
    if (threshold === undefined) return undefined;
    const labeled = (await store.tasks.counters(project.id)).byState.labeled;
    return labeled >= threshold ? { threshold, labeled } : undefined;
  }

  /**
   * Requests a training run when the labeled count has crossed the next threshold. The store is the source of
   * truth and the run id is fixed per crossing, so duplicate or concurrent evaluations create exactly one request.
   * `nextThreshold` says what the coordinator waits for next (undefined: nothing until something else changes);
   * `stop` that the project is gone or archived, so nothing will ever be due.
   */
  async evaluateTrigger(
    projectId: string,
  ): Promise<{ requested?: TrainingRun; nextThreshold?: number; stop?: boolean }> {
    const { store } = this.#d;
    const project = await store.projects.get(projectId);
    if (!project || project.value.status === 'archived') return { stop: true };
    const due = await this.due(project.value);
    if (!due) {
      return { nextThreshold: nextTrainingThreshold(project.value.mlAssist, await store.trainingRuns.list(projectId)) };
    }
    const { created, stored } = await store.trainingRuns.insert({
      id: trainingRunIdFor(due.threshold),
      projectId,
      state: 'requested',
      threshold: due.threshold,
      labeledAtRequest: due.labeled,
      requestedAt: (this.#d.now?.() ?? new Date()).toISOString(),
      trigger: 'threshold',
    });
    return created ? { requested: stored.value } : {};
  }
}
