import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterNameRanges, rangesQuery } from '../../adapters/sqlite/counterRanges';
import { inWindow, type CounterWindow } from '../../shared/domain/counters';
import type { CounterRead } from '../../shared/ports/store';

// Counter names of every shape the domain writes (shared/domain/counters.ts taskContribution), with periods and
// labeler segments that fall on both sides of any window.
const hour = fc
  .record({ d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }) })
  .map(({ d, h }) => `2026-11-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}`);
const day = fc.integer({ min: 1, max: 28 }).map((d) => `2026-11-${String(d).padStart(2, '0')}`);
const labeler = fc.constantFrom('ann%40contoso.com', 'bob', 'z', 'labeler-01');
const name = fc.oneof(
  fc.constantFrom('byState.new', 'byState.labeled', 'labeledReviewed', 'imported', 'boxes', 'outcome.accepted'),
  fc.constantFrom('label.car', 'label.person', 'skipped.noObjects', 'run.r1.edited'),
  fc
    .tuple(labeler, fc.constantFrom('labeled', 'boxes', 'secondsBucket.3', 'outcome.cleared'))
    .map(([id, k]) => `labeler.${id}.${k}`),
  hour.map((h) => `hour.${h}`),
  day.map((d) => `day.${d}`),
  fc.tuple(hour, labeler).map(([h, id]) => `labelerHour.${h}.${id}`),
  fc.tuple(day, labeler).map(([d, id]) => `labelerDay.${d}.${id}`),
);
const window: fc.Arbitrary<CounterWindow> = fc.record({ hoursFrom: hour, daysFrom: day });
const read: fc.Arbitrary<CounterRead> = fc.record(
  {
    prefixes: fc.uniqueArray(
      fc.constantFrom('byState.', 'labeler.', 'label', 'hour.', 'labelerDay.', 'run.r1.', 'imported', 'zzz'),
      { maxLength: 3 },
    ),
    window,
  },
  { requiredKeys: [] },
);

/** What a read means (the port's contract): a name with one of the prefixes (all without them), within the window. */
const wanted = (key: string, r: CounterRead) =>
  (r.prefixes === undefined || r.prefixes.some((p) => key.startsWith(p))) &&
  (r.window === undefined || inWindow(key, r.window));

describe('counter name ranges (the SQLite adapter seeks them instead of walking every counter)', () => {
  it('select exactly the counters a read asks for, run as SQL on a real table', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE counters (project_id TEXT, name TEXT, value INTEGER, PRIMARY KEY (project_id, name))');
    const insert = db.prepare('INSERT OR IGNORE INTO counters VALUES (?, ?, 1)');
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 60 }), read, (names, r) => {
        db.exec('DELETE FROM counters');
        for (const n of names) insert.run('p', n);
        insert.run('other', names[0] ?? 'boxes');
        const ranges = counterNameRanges(r);
        const found =
          ranges === undefined
            ? names
            : ranges.length === 0
              ? []
              : (() => {
                  const q = rangesQuery(ranges);
                  return (db.prepare(q.sql).all(q.params('p')) as Array<{ name: string }>).map((row) => row.name);
                })();
        expect(found.sort()).toEqual(names.filter((n) => wanted(n, r)).sort());
      }),
      { numRuns: 300 },
    );
    db.close();
  });

  it('are seeks on the primary key, not a walk of the project’s counters', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE counters (project_id TEXT, name TEXT, value INTEGER, PRIMARY KEY (project_id, name))');
    const ranges = counterNameRanges({ window: { hoursFrom: '2026-11-29T18', daysFrom: '2025-12-01' } })!;
    const q = rangesQuery(ranges);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(q.params('p')) as Array<{ detail: string }>)
      .map((row) => row.detail)
      .filter((d) => d.startsWith('SEARCH'));
    expect(plan).toHaveLength(ranges.length);
    for (const step of plan) expect(step).toMatch(/USING (PRIMARY KEY|INDEX \S+) \(project_id=\? AND name>\?/);
    db.close();
  });
});
