import { services } from '../adapters/composition';
import type { CheckPageResult, ListPageResult, PrepareResult } from '../shared/domain/backfill';
import { BackfillService } from '../shared/services/backfill';
import { appSettings } from '../shared/settings';
import { checkBackfillPage, listBackfillPage, prepareBackfill } from '../shared/workflows/backfill';
import type { InputOf } from '../shared/workflows/contract';
import { registerActivity } from './workflow/registerActivity';

/**
 * The activities of orchestrations/backfillProject.ts. Each runs at least once (a crash re-runs it), and each is
 * safe to repeat: registering a listed blob twice finds it known, and a removal re-checks the stored task.
 */

function backfill(): BackfillService {
  return new BackfillService(services(), appSettings().backfill);
}

export function prepareBackfillActivity(input: InputOf<typeof prepareBackfill>): Promise<PrepareResult> {
  return backfill().prepare(input.projectId);
}

export function listBackfillPageActivity(input: InputOf<typeof listBackfillPage>): Promise<ListPageResult> {
  return backfill().listAndRegisterPage(input.projectId, input.continuationToken);
}

export function checkBackfillPageActivity(input: InputOf<typeof checkBackfillPage>): Promise<CheckPageResult> {
  return backfill().checkTaskPage(input.projectId, input.createdBefore, input.continuationToken);
}

registerActivity(prepareBackfill, prepareBackfillActivity);
registerActivity(listBackfillPage, listBackfillPageActivity);
registerActivity(checkBackfillPage, checkBackfillPageActivity);
