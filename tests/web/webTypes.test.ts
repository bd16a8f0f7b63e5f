import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Dashboard } from '../../shared/domain/dashboard';
import type { ImportView } from '../../shared/domain/imports/importJob';
import type { ImportReport } from '../../shared/domain/imports/importReport';
import type { importRequestSchema } from '../../shared/domain/imports/importRequest';
import { projectUpdateSchema } from '../../shared/domain/project';
import type { ExportView } from '../../functions/http/exportRoute';
import { projectView } from '../../functions/http/projectResponse';
import type {
  AdminProject as ConsoleProject,
  Dashboard as ConsoleDashboard,
  ExportView as ConsoleExportView,
  ImportReport as ConsoleImportReport,
  ImportRequestBody as ConsoleImportRequest,
  ImportStatus as ConsoleImportStatus,
  ProjectPatch as ConsoleProjectPatch,
} from '../../web/src/console/consoleTypes';
import { formOf, patchOf } from '../../web/src/console/settingsForm';
import { buildDashboard } from '../../shared/domain/dashboard';
import { aProject } from '../store/storeFixtures';

// The web app keeps its own copies of the API's response types (the server's modules import Node built-ins, which
// the browser bundle must not pull in). These checks run in the test type check (`tsc -p tests/tsconfig.json`,
// part of `npm test`): if the server's dashboard, project, export or import view changes in a way the console's
// reading does not accept, or the bodies the console sends stop being what the API's schemas take, the suite stops
// compiling.
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
    // Compile-time only: an export view and an import report as the server builds them are what the console reads.
    const view = (v: ExportView): ConsoleExportView => v;
    const report = (r: ImportReport): ConsoleImportReport => r;
    const importStatus = (v: ImportView): ConsoleImportStatus => v;
    expect([typeof view, typeof report, typeof importStatus]).toEqual(['function', 'function', 'function']);
  });

  it('reads the project view, and the settings form sends only what changed, in a shape the API takes', () => {
    const read: ConsoleProject = consoleReads<ConsoleProject>({ ...projectView(aProject('p')), etag: '"1"' });
    const form = formOf(read);
    expect(patchOf(read, form)).toEqual({});

    const changed = {
      ...form,
      instructions: 'Box every cat.',
      mlAssistEnabled: false,
      newLabels: [{ name: 'bird', color: '#0b6bcb' }],
      numbers: { ...form.numbers, 'batchPolicy.size': '50', 'mlAssist.minPrecision': ' 0.8 ' },
    };
    const patch = patchOf(read, changed);
    expect(patch).toEqual({
      instructions: 'Box every cat.',
      addLabels: [{ name: 'bird', color: '#0b6bcb' }],
      mlAssist: { enabled: false, minPrecision: 0.8 },
      batchPolicy: { size: 50 },
    });
    expect(projectUpdateSchema.safeParse(patch).success).toBe(true);

    // What was typed goes as typed: the API, not the page, says what is wrong with it, naming the field.
    const typo = patchOf(read, { ...form, numbers: { ...form.numbers, 'batchPolicy.leaseMinutes': 'soon' } });
    const refused = projectUpdateSchema.safeParse(JSON.parse(JSON.stringify(typo)));
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((i) => i.path.join('.'))).toEqual(['batchPolicy.leaseMinutes']);

    // Compile-time: the bodies the console builds are what the API's schemas accept.
    const update = (p: ConsoleProjectPatch): z.input<typeof projectUpdateSchema> => p;
    const importBody = (b: ConsoleImportRequest): z.input<typeof importRequestSchema> => b;
    expect([typeof update, typeof importBody]).toEqual(['function', 'function']);
  });
});
