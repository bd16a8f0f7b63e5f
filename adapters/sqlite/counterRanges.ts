import { isHourSeries, seriesNames, type CounterWindow } from '../../shared/domain/counters';
import type { CounterRead } from '../../shared/ports/store';

/** Counter names `from` (inclusive) up to `to` (exclusive; undefined: no upper end), in SQLite's binary order. */
export interface NameRange {
  from: string;
  to?: string;
}

/** Above every counter name: names are built from code points below it. */
const end = '\u{10ffff}';

/**
 * The counter names a read asks for, as disjoint key ranges on the counters table's primary key `(project_id,
 * name)`. SQLite answers `name >= a AND name < b` with an index seek, but an `OR` of several ranges makes its planner
 * walk every counter of the project (6,000 rows in a month-old COCO-sized project, ~100 times slower than seeking),
 * so each range becomes its own SELECT. Undefined: every counter of the project.
 */
export function counterNameRanges(read: CounterRead): NameRange[] | undefined {
  const { prefixes, window } = read;
  const byPrefix = prefixes?.map((p) => ({ from: p, to: p + end }));
  const byWindow = window ? windowRanges(window) : undefined;
  if (!byPrefix) return byWindow;
  const merged = disjoint(byPrefix);
  if (!byWindow) return merged;
  return merged.flatMap((a) => byWindow.flatMap((b) => intersection(a, b)));
}

/** Overlapping ranges merged (prefixes `label` and `labeler.` overlap), so no counter is read twice. */
function disjoint(ranges: readonly NameRange[]): NameRange[] {
  const sorted = [...ranges].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: NameRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && (last.to === undefined || r.from <= last.to)) {
      if (last.to !== undefined && (r.to === undefined || r.to > last.to)) {
        if (r.to === undefined) delete last.to;
        else last.to = r.to;
      }
    } else out.push({ ...r });
  }
  return out;
}

/**
 * A series' period follows its name (`hour.<yyyy-mm-ddThh>`, shared/domain/counters.ts `seriesOf`; `inWindow` is the
 * rule), so the window is: every plain counter (the names between the series), and each series from its first
 * period in the window on.
 */
function windowRanges(window: CounterWindow): NameRange[] {
  const series = [...seriesNames].sort();
  const ranges: NameRange[] = [];
  let plainFrom = '';
  for (const name of series) {
    ranges.push({ from: plainFrom, to: `${name}.` });
    ranges.push({ from: `${name}.${isHourSeries(name) ? window.hoursFrom : window.daysFrom}`, to: `${name}/` });
    plainFrom = `${name}/`;
  }
  ranges.push({ from: plainFrom });
  return ranges;
}

function intersection(a: NameRange, b: NameRange): NameRange[] {
  const from = a.from > b.from ? a.from : b.from;
  const to = a.to === undefined ? b.to : b.to === undefined ? a.to : a.to < b.to ? a.to : b.to;
  return to === undefined || from < to ? [{ from, ...(to !== undefined ? { to } : {}) }] : [];
}

/** One SELECT per range, `UNION ALL`ed; parameters `@projectId`, `@from<i>`, `@to<i>`. */
export function rangesQuery(ranges: readonly NameRange[]): { sql: string; params: (projectId: string) => object } {
  const sql = ranges
    .map(
      (r, i) =>
        `SELECT name, value FROM counters WHERE project_id = @projectId AND name >= @from${i}` +
        (r.to !== undefined ? ` AND name < @to${i}` : ''),
    )
    .join(' UNION ALL ');
  return {
    sql,
    params: (projectId) => {
      const params: Record<string, string> = { projectId };
      ranges.forEach((r, i) => {
        params[`from${i}`] = r.from;
        if (r.to !== undefined) params[`to${i}`] = r.to;
      });
      return params;
    },
  };
}
