import type { TrainingRun } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import { manualRunIdFor, nextTrainingThreshold, trainingRunIdFor } from '../domain/training';
import { isActiveRun } from '../domain/trainingRun';
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

  /**
   * "Train now" (an admin): a run on the labels as they are, whatever the threshold. One run per labeled count (a
   * double click or a retried request gets the same run); refused while another run is in progress, when ML Assist
   * is off, or with too few labels to hold out a validation split.
   */
  async requestNow(
    project: Project,
    by: string,
  ): Promise<
    | { ok: true; run: TrainingRun; created: boolean }
    | {
        ok: false;
        code: 'RUN_IN_PROGRESS' | 'ML_ASSIST_OFF' | 'TOO_FEW_LABELS' | 'ARCHIVED';
        message: string;
        run?: TrainingRun;
      }
  > {
    const { store } = this.#d;
    if (project.status === 'archived')
      return { ok: false, code: 'ARCHIVED', message: `Project '${project.id}' is archived.` };
    if (!project.mlAssist.enabled) {
      return {
        ok: false,
        code: 'ML_ASSIST_OFF',
        message: `ML Assist is off for project '${project.id}' (mlAssist.enabled).`,
      };
    }
    const active = (await store.trainingRuns.list(project.id)).find(isActiveRun);
    if (active) {
      return {
        ok: false,
        code: 'RUN_IN_PROGRESS',
        message: `Training run ${active.id} is ${active.state}; cancel it or wait.`,
        run: active,
      };
    }
    const labeled = (await store.tasks.counters(project.id)).byState.labeled;
    if (labeled < minimumLabelsToTrain) {
      return {
        ok: false,
        code: 'TOO_FEW_LABELS',
        message: `${labeled} images are labeled; a model needs at least ${minimumLabelsToTrain} (some are held out to validate it).`,
      };
    }
    const { created, stored } = await store.trainingRuns.insert({
      id: manualRunIdFor(labeled),
      projectId: project.id,
      state: 'requested',
      threshold: labeled,
      labeledAtRequest: labeled,
      requestedAt: (this.#d.now?.() ?? new Date()).toISOString(),
      trigger: 'manual',
      requestedBy: by,
    });
    return { ok: true, run: stored.value, created };
  }
}

/** Fewer labels than this leave a validation split too small to say anything about a model. */
export const minimumLabelsToTrain = 20;
