import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { demoContainer, uploadSmallImages } from '../backfill/helpers';
import { launchChromium, seriousAxeViolations } from '../helpers/browser';
import { repoRoot, type DevUser } from '../helpers/devhost';
import { admin, boxInside, labelingApi, requestBatch, startLabelingHost, type LabelingHost } from '../labeling/harness';

// The project owner's console in a real browser (Debian's chromium) against devhost with images in Azurite: an
// admin creates a project from the form (a refusal first, in words naming the field), sees its images counted on the
// dashboard, adds a member, starts an export and downloads it, and finds the project's orchestrations; a labeler
// sees their own progress on "My projects". axe-core runs on every page, and each page is saved as a screenshot.

const projectId = 'console-street';
const images = 3;
const labeler: DevUser = { id: 'wanda', name: 'Wanda Web', roles: ['labeler'], token: 'wanda-console-token' };
const screenshots = path.join(repoRoot, 'tests', 'web', 'screenshots');

let lab: LabelingHost;
let browser: Browser;
let page: Page;
const api = labelingApi(() => lab.host);
const consoleErrors: string[] = [];

function watchConsole(p: Page): void {
  p.on('console', (m) => {
    // The browser logs every non-2xx response; these the test provokes (signed out, a refused create, train now).
    const expected = /\/api\/me$|\/api\/projects$|\/training-runs$/.test(m.location().url);
    if (m.type() === 'error' && !(expected && /Failed to load resource/.test(m.text()))) consoleErrors.push(m.text());
  });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
}

async function audit(name: string, on: Page = page): Promise<void> {
  await on.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
  expect(await seriousAxeViolations(on), `axe on ${name}`).toEqual([]);
}

async function signIn(on: Page, token: string): Promise<void> {
  await on.goto(`${lab.host.baseUrl}/`);
  await on.getByRole('button', { name: 'Sign in' }).click();
  await on.getByLabel('Token').fill(token);
  await on.getByRole('button', { name: 'Sign in' }).click();
  await on.getByRole('heading', { name: 'My projects' }).waitFor();
  // The heading is there before /api/me answers: signed in means the header shows the user (its Sign out link).
  await on.getByRole('link', { name: 'Sign out' }).waitFor();
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  // The training poll is kept away (once a year) so that the runs the test writes stay as written until it acts.
  lab = await startLabelingHost([labeler], { TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *' });
  const container = await demoContainer(lab.storage, projectId);
  await uploadSmallImages(container, { count: images });
  await container.uploadBlockBlob('notes.txt', 'not an image', 12);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  watchConsole(page);
}, 240_000);

afterEach(async (ctx) => {
  const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await page?.screenshot({ path: path.join(screenshots, `end-console-${name}.png`) }).catch(() => undefined);
  if (ctx.task.result?.state === 'fail') console.log(`console errors: ${JSON.stringify(consoleErrors)}`);
});

afterAll(async () => {
  await browser?.close();
  await lab?.host.stop();
  lab?.host.cleanup();
});

describe('the project owner console in a browser', () => {
  it('creates a project from the form, after a refusal naming the field, and counts its images', async () => {
    await signIn(page, admin.token);
    await page.getByRole('link', { name: 'Project console' }).click();
    await page.getByRole('heading', { name: 'Project console' }).waitFor();
    await audit('console-projects');
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByRole('heading', { name: 'New project' }).waitFor();
    await audit('console-new');
    await page.getByLabel('Name', { exact: true }).fill('Street console');
    await page.getByLabel(/^Id/).fill(projectId);
    await page.getByLabel('Blob container').fill('Not_A_Container');
    await page.getByLabel('Label 1 name').fill('car');
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('Label 2 name').fill('person');
    await page.getByLabel('Label 2 colour').fill('#aa2200');
    await page.getByLabel('Instructions (Markdown)').fill('Box every car and person.');
    await page.getByLabel('Labeled images before the first training run').fill('20');
    await page.getByLabel('Gate: lowest precision of prelabels (0–1)').fill('0.85');
    await page.getByRole('button', { name: 'Create project' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/dataset\.container: /);
    // Beside the field too, as its description.
    await expect(page.getByLabel('Blob container').getAttribute('aria-describedby')).resolves.toBe(
      'f-dataset-container-error',
    );
    expect(await page.locator('#f-dataset-container-error').textContent()).toMatch(/^dataset\.container: ./);
    await expect(page.getByLabel('Blob container').getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await api.call('GET', `projects/${projectId}`, { token: admin.token })).status).toBe(404);
    await audit('console-new-refused');

    await page.getByLabel('Blob container').fill(projectId);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(new RegExp(`/console/projects/${projectId}$`));
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // The backfill registers the images while the dashboard re-reads its figures.
    await page.locator(`[data-figure="images"]:text-is("${images}")`).waitFor({ timeout: 120_000 });
    await page.locator(`[data-figure="to-label"]:text-is("${images}")`).waitFor();
    await page.getByText('20 more manual labels needed before the next model run').waitFor();
    await audit('console-dashboard');

    const created = await api.call<{
      labels: Array<{ name: string; color: string }>;
      instructions: string;
      mlAssist: Record<string, unknown>;
      counters: { byState: Record<string, number> };
    }>('GET', `projects/${projectId}`, { token: admin.token });
    expect(created.body.labels).toEqual([
      { name: 'car', color: '#0b6bcb' },
      { name: 'person', color: '#aa2200' },
    ]);
    expect(created.body.instructions).toBe('Box every car and person.');
    expect(created.body.mlAssist).toMatchObject({ enabled: true, initialTrainingThreshold: 20, minPrecision: 0.85 });
    expect(created.body.counters.byState.rejected).toBe(1);
  }, 180_000);

  it('says in words why "train now" is refused, and refreshes from storage', async () => {
    await page.getByRole('button', { name: 'Train now' }).click();
    const refused = page.getByRole('status').filter({ hasText: 'Train now was refused' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('a model needs at least 20');
    await page.getByRole('button', { name: 'Refresh from storage' }).click();
    await page.getByRole('status').filter({ hasText: 'Refresh from storage: done.' }).waitFor();
  });

  it('adds a member, on a page loaded from its address', async () => {
    // Loaded, not navigated to: each console page has an address the app serves (a reload or a bookmark works).
    await page.goto(`${lab.host.baseUrl}/console/projects/${projectId}/members`);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByText('No members yet').waitFor();
    // Keyboard first: Enter in the field adds the member.
    await page.getByLabel('User id').fill(labeler.id);
    await page.keyboard.press('Enter');
    await page.getByRole('rowheader', { name: labeler.id }).waitFor();
    const members = await api.call<{ items: Array<{ userId: string; role: string }> }>(
      'GET',
      `projects/${projectId}/members`,
      { token: admin.token },
    );
    expect(members.body.items.map((m) => [m.userId, m.role])).toEqual([[labeler.id, 'labeler']]);
    await audit('console-members');
  });

  it('starts an export and downloads its file, with the labeler’s work in it', async () => {
    const batch = await requestBatch(api, projectId, labeler.token, 'console-batch');
    const task = batch.tasks[0]!;
    const put = await api.call('PUT', `projects/${projectId}/tasks/${task.taskId}/annotation`, {
      token: labeler.token,
      body: { boxes: [boxInside(task, 'person')], secondsOnTask: 7 },
    });
    expect(put.status).toBe(200);

    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Exports' }).click();
    await page.getByText('No export yet.').waitFor();
    await page.getByRole('button', { name: 'Start export' }).click();
    const link = page.getByRole('link', { name: 'Download coco.json' });
    await link.waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: '1 images, 1 boxes' }).waitFor();
    await audit('console-exports');
    const coco = (await (await fetch((await link.getAttribute('href'))!)).json()) as {
      images: unknown[];
      annotations: Array<{ category_id: number }>;
      categories: Array<{ id: number; name: string }>;
    };
    expect(coco.images).toHaveLength(1);
    expect(coco.annotations.map((a) => coco.categories.find((c) => c.id === a.category_id)!.name)).toEqual(['person']);
  }, 90_000);

  it('lists the project’s orchestrations with the history path and no key', async () => {
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Orchestrations' }).click();
    const backfill = page.getByRole('row').filter({ hasText: `backfill-${projectId}` });
    await backfill.getByRole('cell', { name: 'Completed', exact: true }).waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: `export-${projectId}-` })
      .waitFor();
    const history = await backfill.locator('code').textContent();
    expect(history).toContain(`/runtime/webhooks/durabletask/instances/backfill-${projectId}?`);
    expect(history).toContain('showHistory=true');
    expect(await page.content()).not.toContain(lab.host.keys.systemKeys.durabletask_extension);
    await audit('console-orchestrations');
  });

  it('shows the labeler’s row on the dashboard, on a large screen too', async () => {
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Dashboard' }).click();
    const row = page.getByRole('row').filter({ hasText: labeler.id });
    await row.waitFor();
    expect(await row.getByRole('cell').first().textContent()).toBe('1');
    await page.getByText('19 more manual labels needed before the next model run').waitFor();
    await page.setViewportSize({ width: 2560, height: 1440 });
    await audit('console-dashboard-large');
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(consoleErrors).toEqual([]);
  });

  it('shows training runs with metrics, calibrated threshold and gate decision, and cancels one', async () => {
    // Runs as the ML Assist loop records them (shared/domain/labelingRecords.ts), written into the app's store.
    const at = new Date().toISOString();
    const base = { projectId, requestedAt: at, updatedAt: at, provider: 'local' as const };
    const evaluation = (mAP50: number) => ({
      validationImages: 50,
      mAP50,
      mAP50_95: mAP50 / 2,
      matchedMeanIoU: 0.79,
      perClass: {},
      calibration: { kind: 'platt' as const, a: -1.9, b: 0.4, eceBefore: 0.12, eceAfter: 0.01 },
    });
    const runs: TrainingRun[] = [
      {
        ...base,
        id: 'run-000000010',
        state: 'rejected',
        threshold: 10,
        labeledAtRequest: 10,
        trigger: 'threshold',
        finishedAt: at,
        evaluation: evaluation(0.41),
        gate: {
          passed: false,
          precision: 0.71,
          recall: 0.4,
          meanIoU: 0.7,
          reason: 'precision 0.71 < 0.90 at every threshold',
          additionalLabelsNeeded: 250,
        },
      },
      {
        ...base,
        id: 'run-000000015',
        state: 'completed',
        threshold: 15,
        labeledAtRequest: 15,
        trigger: 'threshold',
        finishedAt: at,
        evaluation: evaluation(0.83),
        gate: { passed: true, threshold: 0.62, precision: 0.91, recall: 0.58, meanIoU: 0.8 },
      },
      { ...base, id: 'run-000000001-manual', state: 'requested', threshold: 1, labeledAtRequest: 1, trigger: 'manual' },
    ];
    const store = new SqliteStore(path.join(lab.host.dataDir, 'labels.db'));
    for (const run of runs) await store.trainingRuns.insert(run);
    await store.close();

    const table = page.getByRole('table', { name: 'Training runs' });
    await table.waitFor();
    const rejected = table.getByRole('row').filter({ hasText: 'run-000000010' });
    await rejected
      .getByText('Not good enough yet: precision 0.71 < 0.90 at every threshold (250 more labels')
      .waitFor();
    const passed = table.getByRole('row').filter({ hasText: 'run-000000015' });
    await passed.getByRole('cell', { name: '0.83', exact: true }).waitFor();
    await passed.getByRole('cell', { name: '0.62', exact: true }).waitFor();
    await passed.getByText('Passed: boxes scored ≥ 0.62 become prelabels').waitFor();
    await page.getByText('A model is training.').waitFor();
    await audit('console-runs');

    await page.getByRole('button', { name: 'Cancel run-000000001-manual' }).click();
    await page.getByRole('status').filter({ hasText: 'Cancel run-000000001-manual: done.' }).waitFor();
    await table
      .getByRole('row')
      .filter({ hasText: 'run-000000001-manual' })
      .getByRole('cell', { name: 'canceled', exact: true })
      .waitFor();
    await page.getByRole('cell', { name: 'Canceled: canceled by ada' }).waitFor();
    const run = await api.call<{ state: string }>('GET', `projects/${projectId}/training-runs/run-000000001-manual`, {
      token: admin.token,
    });
    expect(run.body.state).toBe('canceled');
    expect(consoleErrors).toEqual([]);
  });

  it('shows a labeler their own progress on "My projects"', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const theirs = await context.newPage();
    watchConsole(theirs);
    await signIn(theirs, labeler.token);
    await theirs.getByRole('heading', { name: 'Street console' }).waitFor();
    await theirs.getByText(/You labeled 1 and skipped 0 · the project is 33\s*% done/).waitFor();
    await expect(theirs.getByRole('link', { name: 'Project console' }).count()).resolves.toBe(0);
    await audit('projects-own-progress', theirs);
    await context.close();
    expect(consoleErrors).toEqual([]);
  });
});
