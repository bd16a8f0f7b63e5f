import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelerSessionId } from '../../shared/domain/labelingIds';
import type { DurableInstances, InstancePage, InstancePageQuery } from '../../shared/ports/durableInstances';
import { listProjectOrchestrations } from '../../shared/services/projectOrchestrations';

/**
 * The task hub's list as the management API serves it (devhost/durable/store.ts: ordered by created time, then id;
 * `instanceIdPrefix`, `top`, an opaque continuation token), in memory, counting the queries made.
 */
function taskHub(ids: string[]): DurableInstances & { queries: number } {
  const rows = ids.map((instanceId, i) => ({
    instanceId,
    name: 'x',
    runtimeStatus: 'Running',
    createdTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    lastUpdatedTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    customStatus: null,
    output: null,
  }));
  return {
    queries: 0,
    async listPage(q: InstancePageQuery): Promise<InstancePage> {
      this.queries++;
      const matching = rows.filter((r) => r.instanceId.startsWith(q.instanceIdPrefix));
      const from = q.continuationToken ? Number(q.continuationToken) : 0;
      const items = matching.slice(from, from + q.top);
      const next = from + items.length;
      return next < matching.length ? { items, continuationToken: String(next) } : { items };
    },
  };
}

const all = ['backfill', 'mlAssist', 'labelerSession', 'predictions', 'export'] as const;

describe('listing a project’s orchestrations page by page', () => {
  it('walks every instance of the project once, none of another project’s, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.double({ noNaN: true }), { minLength: 50, maxLength: 50 }),
        async (ownLabelers, otherLabelers, limit, order) => {
          const own = [
            'backfill-ops',
            'mlassist-ops',
            'predictions-ops-run-000000250',
            'export-ops-xAAAAAAAAAAAAAAAAAAAAAA',
            ...Array.from({ length: ownLabelers }, (_, i) => labelerSessionId('ops', `u${i}`)),
          ];
          const others = [
            'backfill-ops-eu',
            'mlassist-ops-eu',
            'predictions-ops-eu-run-000000250',
            'export-ops-eu-xAAAAAAAAAAAAAAAAAAAAAA',
            ...Array.from({ length: otherLabelers }, (_, i) => labelerSessionId('ops-eu', `u${i}`)),
          ];
          // Created in an arbitrary interleaving of both projects' instances.
          const created = [...own, ...others]
            .map((id, i) => ({ id, at: order[i]! }))
            .sort((a, b) => a.at - b.at)
            .map((x) => x.id);
          const hub = taskHub(created);
          const seen: string[] = [];
          let token: string | undefined;
          for (let pages = 0; pages < 200; pages++) {
            const before = hub.queries;
            const page = await listProjectOrchestrations(hub, 'ops', {
              kinds: all,
              limit,
              ...(token ? { continuationToken: token } : {}),
            });
            if ('invalidToken' in page) throw new Error('token refused');
            expect(page.items.length).toBeLessThanOrEqual(limit);
            expect(hub.queries - before).toBeLessThanOrEqual(10);
            seen.push(...page.items.map((i) => i.instanceId));
            token = page.continuationToken;
            if (!token) break;
          }
          expect(token).toBeUndefined();
          expect(seen.sort()).toEqual([...own].sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a token from a listing with more kinds', async () => {
    const hub = taskHub(['backfill-ops', 'mlassist-ops', labelerSessionId('ops', 'u')]);
    const first = await listProjectOrchestrations(hub, 'ops', { kinds: all, limit: 2 });
    if ('invalidToken' in first) throw new Error('unexpected');
    expect(first.continuationToken).toBeDefined();
    const next = await listProjectOrchestrations(hub, 'ops', {
      kinds: ['backfill'],
      limit: 2,
      continuationToken: first.continuationToken!,
    });
    expect(next).toEqual({ invalidToken: true });
  });
});
