import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import {
  backfillActivities,
  type CheckPageInput,
  type CheckPageResult,
  type ListPageInput,
  type ListPageResult,
  type PrepareResult,
} from '../shared/domain/backfill';
import { BackfillService } from '../shared/services/backfill';
import { backfillSettings } from './backfill/settings';

/**
 * The activities of orchestrations/backfillProject.ts. Each runs at least once (a crash re-runs it), and each is
 * safe to repeat: registering a listed blob twice finds it known, and a removal re-checks the stored task.
 */

function backfill(): BackfillService {
  return new BackfillService(services(), backfillSettings());
}

df.app.activity(backfillActivities.prepare, {
  handler: (input: { projectId: string }): Promise<PrepareResult> => backfill().prepare(input.projectId),
});

df.app.activity(backfillActivities.listPage, {
  handler: (input: ListPageInput): Promise<ListPageResult> =>
    backfill().listAndRegisterPage(input.projectId, input.continuationToken),
});

df.app.activity(backfillActivities.checkPage, {
  handler: (input: CheckPageInput): Promise<CheckPageResult> =>
    backfill().checkTaskPage(input.projectId, input.createdBefore, input.continuationToken),
});
