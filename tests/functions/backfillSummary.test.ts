import type { DurableClient } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { backfillSummary } from '../../functions/http/backfillSummary';

const at = new Date('2026-01-01T00:00:00Z');
const clientAnswering = (status: object | Error) =>
  ({
    getStatus: async () => {
      if (status instanceof Error) throw status;
      return { createdTime: at, lastUpdatedTime: at, customStatus: { phase: 'listing' }, ...status };
    },
  }) as unknown as DurableClient;

describe('the backfill shown with a project', () => {
  it('a failed run shows why it failed', async () => {
    const failed = clientAnswering({
      runtimeStatus: 'Failed',
      output:
        "Orchestrator function 'backfillProject' failed: Activity function 'backfillListPage' failed: 403 This request is not authorized\n   at stack",
    });
    expect(await backfillSummary(failed, 'p')).toMatchObject({
      instanceId: 'backfill-p',
      runtimeStatus: 'Failed',
      failure:
        "Orchestrator function 'backfillProject' failed: Activity function 'backfillListPage' failed: 403 This request is not authorized",
      customStatus: { phase: 'listing' },
    });
  });

  it('a run that did not fail has no failure field; a project never backfilled has no backfill', async () => {
    expect(await backfillSummary(clientAnswering({ runtimeStatus: 'Completed', output: {} }), 'p')).not.toHaveProperty(
      'failure',
    );
    expect(
      await backfillSummary(clientAnswering(new Error('Request failed with status code 404')), 'p'),
    ).toBeUndefined();
  });
});
