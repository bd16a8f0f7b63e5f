import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import { isReconcileDue } from '../shared/domain/backfill';
import type { Project } from '../shared/domain/project';
import { MaintenanceService } from '../shared/services/maintenance';
import { appSettings } from '../shared/settings';
import { backfillStatus, isActive, startOrJoinBackfill } from './backfill/startBackfill';
import { nudgeMlAssist } from './http/labelingSignals';

/** When each project's counters were last recounted by this process (a restart recounts early: harmless). */
const lastRecount = new Map<string, number>();

/**
 * Every active project's upkeep: expired leases swept, counters recounted (every `COUNTER_RECOUNT_MINUTES`) with
 * any drift reported, the ML Assist coordinator nudged when a training threshold is reached, and a backfill/reconcile
 * run started for projects with incremental refresh whose interval has elapsed since their last run finished (a run
 * still going is left alone). One project's failure is logged and does not stop the others.
 */
export async function reconcileProjects(_timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const settings = appSettings();
  const now = new Date();
  const projects = await services().store.projects.list();
  let started = 0;
  for (const project of projects) {
    if (project.status === 'archived') continue;
    try {
      await upkeep(project, now, settings.counterRecountMinutes, context, client);
      if (!project.incrementalRefresh.enabled) continue;
      const last = await backfillStatus(client, project.id);
      const lastRun = last && { running: isActive(last), lastUpdatedTime: new Date(last.lastUpdatedTime) };
      if (!isReconcileDue(project, lastRun, now)) continue;
      if ((await startOrJoinBackfill(client, project.id)).started) started++;
    } catch (err) {
      context.error(`Reconcile of project ${project.id} failed: ${String(err)}`);
    }
  }
  context.log(`Reconcile: ${started} run(s) started over ${projects.length} project(s).`);
}

async function upkeep(
  project: Project,
  now: Date,
  recountMinutes: number,
  context: InvocationContext,
  client: df.DurableClient,
): Promise<void> {
  const recount = now.getTime() - (lastRecount.get(project.id) ?? 0) >= recountMinutes * 60_000;
  const result = await new MaintenanceService(services()).upkeep(project, { recount });
  if (recount) lastRecount.set(project.id, now.getTime());
  if (result.expiredBatches > 0) {
    context.log(`Project ${project.id}: ${result.expiredBatches} batch(es) past their lease returned to the pool.`);
  }
  if (result.counterDrift && Object.keys(result.counterDrift).length > 0) {
    context.warn(
      `Project ${project.id}: counters had drifted and were repaired: ${JSON.stringify(result.counterDrift)}`,
    );
  }
  if (result.trainingDue) await nudgeMlAssist(client, project.id);
}

app.timer('reconcileProjects', {
  schedule: appSettings().reconcileSchedule,
  extraInputs: [df.input.durableClient()],
  handler: reconcileProjects,
});
