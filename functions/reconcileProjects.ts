import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import { isReconcileDue } from '../shared/domain/backfill';
import { backfillStatus, isActive, startOrJoinBackfill } from './backfill/startBackfill';

/**
 * NCRONTAB (six fields, seconds first). How often the timer looks for projects due a reconciliation; each project's
 * own `incrementalRefresh.intervalMinutes` decides whether it is due. Read at load, as app settings are on Azure.
 */
export const reconcileSchedule = process.env.RECONCILE_SCHEDULE || '0 */5 * * * *';

/**
 * Starts a backfill/reconcile run for every project with incremental refresh on whose interval has elapsed since
 * its last run finished (the backfill instance's own record says when). A run still going is left alone. One
 * project's failure is logged and does not stop the others.
 */
export async function reconcileProjects(_timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const now = new Date();
  const projects = await services().store.listProjects();
  let started = 0;
  for (const project of projects) {
    if (project.status === 'archived' || !project.incrementalRefresh.enabled) continue;
    try {
      const last = await backfillStatus(client, project.id);
      const lastRun = last && { running: isActive(last), lastUpdatedTime: new Date(last.lastUpdatedTime) };
      if (!isReconcileDue(project, lastRun, now)) continue;
      if ((await startOrJoinBackfill(client, project.id)).started) started++;
    } catch (err) {
      context.error(`Reconcile of project ${project.id} did not start: ${String(err)}`);
    }
  }
  context.log(`Reconcile: ${started} run(s) started over ${projects.length} project(s).`);
}

app.timer('reconcileProjects', {
  schedule: reconcileSchedule,
  extraInputs: [df.input.durableClient()],
  handler: reconcileProjects,
});
