import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { inWindow } from '../../shared/domain/counters';
import type { CounterRead } from '../../shared/ports/store';
import { blobCreated, facts, labeledBy, now, skippedBy } from './storeFixtures';

// The SQLite adapter serves a repeated counters read (the polled dashboard) from its last answer until something
// could have changed it, and after its own writes reads again only the names they wrote. Whatever happens in between
// — writes of this store, claims, a recount, writes rolled back, another connection writing the file — a read must
// answer exactly what the table holds.
const reads: CounterRead[] = [
  {},
  { prefixes: ['byState.'] },
  { prefixes: ['labeler.', 'label'] },
  { window: { hoursFrom: now.slice(0, 13), daysFrom: now.slice(0, 10) } },
  { window: { hoursFrom: '2025-01-03T00', daysFrom: '2025-01-03' } },
  { prefixes: ['labelerHour.', 'hour.'], window: { hoursFrom: '2025-01-01T00', daysFrom: '2025-01-01' } },
];
const labelers = ['ann@contoso.com', 'bob'];

type Op =
  | { kind: 'create'; n: number }
  | { kind: 'label'; i: number; by: number }
  | { kind: 'skip'; i: number }
  | { kind: 'claim'; n: number }
  | { kind: 'external' }
  | { kind: 'recount' }
  | { kind: 'rolledBack'; n: number }
  | { kind: 'read'; r: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('label' as const), i: fc.nat(50), by: fc.nat(1) }),
  fc.record({ kind: fc.constant('skip' as const), i: fc.nat(50) }),
  fc.record({ kind: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.constant({ kind: 'external' as const }),
  fc.constant({ kind: 'recount' as const }),
  fc.record({ kind: fc.constant('rolledBack' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('read' as const), r: fc.nat(reads.length - 1) }),
);

describe('repeated counter reads on SQLite', () => {
  it('always answer what the counters table holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'counter-cache-'));
        const file = path.join(dir, 'labels.db');
        const store = new SqliteStore(file);
        const other = new Database(file);
        const created: string[] = [];
        const check = async (r: CounterRead) => {
          const expected: Record<string, number> = {};
          const rows = other
            .prepare("SELECT name, value FROM counters WHERE project_id = 'p' AND value != 0")
            .all() as Array<{ name: string; value: number }>;
          for (const { name, value } of rows) {
            const wanted =
              (r.prefixes === undefined || r.prefixes.some((p) => name.startsWith(p))) &&
              (r.window === undefined || inWindow(name, r.window));
            if (wanted) expected[name] = value;
          }
          expect(await store.tasks.counterValues('p', r)).toEqual(expected);
        };
        try {
          for (const o of ops) {
            if (o.kind === 'create') {
              const items = Array.from({ length: o.n }, () =>
                blobCreated('p', facts(`img-${created.length}-${Math.random()}.jpg`, 1)),
              );
              await store.tasks.mutateMany('p', items);
              created.push(...items.map((x) => x.taskId));
            } else if (o.kind === 'label' && created.length > 0) {
              await store.tasks.mutate('p', created[o.i % created.length]!, labeledBy(labelers[o.by]!));
            } else if (o.kind === 'skip' && created.length > 0) {
              await store.tasks.mutate('p', created[o.i % created.length]!, skippedBy('bob'));
            } else if (o.kind === 'claim') {
              await store.tasks.claim('p', {
                max: o.n,
                assignment: { labelerId: 'ann@contoso.com', batchId: 'b1', leaseExpiresAt: '2099-01-01T00:00:00.000Z' },
                now,
                order: 'shuffled',
              });
            } else if (o.kind === 'external') {
              // Another process on the file (a second host, a repair script) changes a counter.
              other
                .prepare(
                  `INSERT INTO counters (project_id, name, value) VALUES ('p', 'label.cat', 1)
                   ON CONFLICT (project_id, name) DO UPDATE SET value = value + 1`,
                )
                .run();
            } else if (o.kind === 'rolledBack') {
              // Writes whose transaction then fails: their counters were bumped and rolled back.
              const items = Array.from({ length: o.n }, () => blobCreated('p', facts(`gone-${Math.random()}.jpg`, 1)));
              const failing = {
                taskId: 'failing',
                mutation: () => {
                  throw new Error('refused');
                },
              };
              await expect(store.tasks.mutateMany('p', [...items, failing])).rejects.toThrow('refused');
            } else if (o.kind === 'recount') {
              await store.tasks.recountCounters('p');
            } else if (o.kind === 'read') {
              await check(reads[o.r]!);
            }
            // Read twice in a row as a poller does: the second answer is the cached one.
            await check(reads[ops.length % reads.length]!);
            await check(reads[ops.length % reads.length]!);
          }
        } finally {
          other.close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });
});
