import { describe, expect, it } from 'vitest';
import type { Dashboard } from '../../shared/domain/dashboard';
import type { ExportView } from '../../functions/http/exportRoute';
import type {
  Dashboard as ConsoleDashboard,
  ExportView as ConsoleExportView,
} from '../../web/src/console/consoleTypes';
import { buildDashboard } from '../../shared/domain/dashboard';
import { aProject } from '../store/storeFixtures';

// The web app keeps its own copies of the API's response types (the server's modules import Node built-ins, which
// the browser bundle must not pull in). These checks run in the test type check (`tsc -p tests/tsconfig.json`,
// part of `npm test`): if the server's dashboard or export view changes in a way the console's reading does not
// accept, the suite stops compiling.
const consoleReads = <T>(value: T): T => value;

describe("the web console's reading of the API", () => {
  it('accepts every dashboard the server builds', () => {
    const built: Dashboard = buildDashboard({
      project: aProject('p'),
      values: {},
      runs: [],
      members: [],
      now: new Date('2026-12-01T12:00:00Z'),
    });
    const read: ConsoleDashboard = consoleReads<ConsoleDashboard>(built);
    expect(read.totals.images).toBe(0);
    // Compile-time only: an export view as the trigger builds it is what the console reads.
    const view = (v: ExportView): ConsoleExportView => v;
    expect(typeof view).toBe('function');
  });
});
