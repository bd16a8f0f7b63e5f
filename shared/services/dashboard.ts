import { buildDashboard, dashboardWindow, type Dashboard } from '../domain/dashboard';
import type { Project } from '../domain/project';
import type { Store } from '../ports/store';

export interface DashboardServiceDeps {
  store: Store;
  now?: () => Date;
}

/**
 * The project dashboard: three reads (every maintained counter, the training runs, the members) and a pure
 * build, so its cost does not grow with the number of images.
 */
export class DashboardService {
  readonly #d: DashboardServiceDeps;

  constructor(deps: DashboardServiceDeps) {
    this.#d = deps;
  }

  /** `onlyLabeler`: a labeler's view (the project's figures and their own row). */
  async dashboard(project: Project, onlyLabeler?: string): Promise<Dashboard> {
    const { store } = this.#d;
    const now = this.#d.now?.() ?? new Date();
    const [values, runs, members] = await Promise.all([
      store.tasks.counterValues(project.id, { window: dashboardWindow(now) }),
      store.trainingRuns.list(project.id),
      store.members.list(project.id),
    ]);
    return buildDashboard({
      project,
      values,
      runs,
      members,
      now,
      ...(onlyLabeler !== undefined ? { onlyLabeler } : {}),
    });
  }
}
