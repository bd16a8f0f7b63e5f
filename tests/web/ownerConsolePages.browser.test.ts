import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoContainer } from '../backfill/helpers';
import { launchChromium, seriousAxeViolations } from '../helpers/browser';
import { repoRoot, type DevUser } from '../helpers/devhost';
import {
  admin,
  labelingApi,
  requestBatch,
  seedProject,
  startLabelingHost,
  waitFor,
  type Box,
  type LabelingHost,
} from '../labeling/harness';

// The console's keyboard shortcuts and its later pages in a real browser against devhost: the `?` overlay and the
// `g …` keys between tabs (keyboard only), the settings page (a save read back over the API, a refusal naming the
// field, pause and resume as the labeler feels it, archive after a confirmation), the import page (a COCO file from
// "this computer" stored as labels, a refused file's issues), and the orchestrations and exports listings paged
// with the listing's continuation token; a labeler starts labeling from "My projects" by key, and the workspace's
// own `?` still lists its keys. axe-core runs on each page and dialog, and each is saved as a screenshot.

const projectId = 'console-pages';
const labeler: DevUser = { id: 'pia', name: 'Pia Pages', roles: ['labeler'], token: 'pia-console-pages-token' };
const screenshots = path.join(repoRoot, 'tests', 'web', 'screenshots');

let lab: LabelingHost;
let browser: Browser;
let page: Page;
const api = labelingApi(() => lab.host);
const consoleErrors: string[] = [];

interface ProjectBody {
  name: string;
  status: string;
  instructions: string;
  labels: Array<{ name: string; color?: string }>;
  mlAssist: Record<string, unknown>;
  batchPolicy: { size: number; leaseMinutes: number };
}
interface TaskBody {
  id: string;
  blobPath: string;
  width: number;
  height: number;
  state: string;
  annotation?: { boxes: Box[]; by: string };
}

const readProject = async () =>
  (await api.call<ProjectBody>('GET', `projects/${projectId}`, { token: admin.token })).body;
const tasks = async (state?: string) =>
  (
    await api.call<{ items: TaskBody[] }>('GET', `projects/${projectId}/tasks${state ? `?state=${state}` : ''}`, {
      token: admin.token,
    })
  ).body.items;

async function audit(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
  expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
}

/** The tab heading the page shows (each tab is a page with its own h1). */
const heading = (name: string) => page.getByRole('heading', { level: 1, name });
// Evaluated in the page (as text: the tests are type-checked without the DOM's types).
const focusedText = () => page.evaluate<string>("document.activeElement?.textContent ?? ''");
const focusedId = () => page.evaluate<string | undefined>('document.activeElement?.id');
/** Moves focus out of whatever field has it, as a keyboard user does with Tab towards a button. */
const leaveField = () => page.evaluate('document.activeElement?.blur()');
/**
 * Run in the page (a string: the tests' TypeScript has no DOM types). Notes in `window.bothShown` whether the label
 * "hexagon" is ever listed as saved while its "New label 1" row is still on the form.
 */
const watchBothShown = `(() => {
  window.bothShown = false;
  const check = () => {
    const listed = [...document.querySelectorAll('.label-list li')].some((li) => li.textContent === 'hexagon');
    const toAdd = [...document.querySelectorAll('label')].some((l) => l.textContent === 'New label 1 name');
    if (listed && toAdd) window.bothShown = true;
  };
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

/** A COCO dataset of these images, one box each (of its label), in pixels inside the image. */
function cocoOf(items: Array<Pick<TaskBody, 'blobPath' | 'width' | 'height'> & { label: string }>) {
  const names = [...new Set(items.map((t) => t.label))];
  return {
    images: items.map((t, i) => ({ id: i + 1, file_name: t.blobPath, width: t.width, height: t.height })),
    annotations: items.map((t, i) => ({
      id: i + 1,
      image_id: i + 1,
      category_id: names.indexOf(t.label) + 1,
      bbox: [1, 2, Math.floor(t.width / 2), Math.floor(t.height / 2)],
      iscrowd: 0,
    })),
    categories: names.map((name, i) => ({ id: i + 1, name })),
  };
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  lab = await startLabelingHost([labeler], { TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *' });
  await seedProject(api, lab.storage, { id: projectId, images: 3, members: [labeler], initialTrainingThreshold: 20 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => {
    // The browser logs every non-2xx response: these the test provokes (a refused save, import or train now), and the
    // app's own "nobody signed in" (/api/me) and "no batch of yours" (…/batches/current) on My projects.
    const expected = /\/api\/projects\/[^/]+(\/imports|\/training-runs)?$|\/api\/me$|\/batches\/current$/.test(
      m.location().url,
    );
    if (m.type() === 'error' && !(expected && /Failed to load resource/.test(m.text()))) {
      consoleErrors.push(`${m.text()} (${m.location().url})`);
    }
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${lab.host.baseUrl}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Token').fill(admin.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The heading is there before /api/me answers; the keys of an admin (`g c`) exist only once it has: wait for the
  // signed-in header (its Sign out link), or the first keys can arrive first on a busy machine.
  await page.getByRole('heading', { name: 'My projects' }).waitFor();
  await page.getByRole('link', { name: 'Sign out' }).waitFor();
}, 240_000);

afterEach(async (ctx) => {
  const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await page?.screenshot({ path: path.join(screenshots, `end-console-pages-${name}.png`) }).catch(() => undefined);
  if (ctx.task.result?.state === 'fail') console.log(`console errors: ${JSON.stringify(consoleErrors)}`);
});

afterAll(async () => {
  await browser?.close();
  await lab?.host.stop();
  lab?.host.cleanup();
});

describe('the console pages, keyboard first', () => {
  it('moves between the pages with keys, and `?` lists them in a dialog that gives focus back', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('c');
    await heading('Project console').waitFor();

    // `?` from a focused link: the dialog takes focus, lists the page's keys, Escape closes and focus comes back.
    await page.getByRole('link', { name: 'New project' }).focus();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    for (const keys of ['n', 'g p', 'g c', '1–9', 'r', '/', '?', 'Escape']) {
      await dialog.getByRole('cell', { name: keys, exact: true }).waitFor();
    }
    expect(await page.evaluate<boolean>("!!document.activeElement?.closest('dialog')")).toBe(true);
    await audit('console-shortcuts');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedText()).toBe('New project');

    await page.keyboard.press('1');
    await page.waitForURL(new RegExp(`/console/projects/${projectId}$`));
    await heading('Dashboard').waitFor();
    const tabs: Array<[string, string, RegExp]> = [
      ['m', 'Members', /\/members$/],
      ['i', 'Imports', /\/imports$/],
      ['e', 'Exports', /\/exports$/],
      ['o', 'Orchestrations', /\/orchestrations$/],
      ['s', 'Settings', /\/settings$/],
      ['d', 'Dashboard', new RegExp(`${projectId}$`)],
    ];
    for (const [key, name, url] of tabs) {
      await page.keyboard.press('g');
      await page.keyboard.press(key);
      await heading(name).waitFor();
      expect(page.url()).toMatch(url);
    }
    // `t` is "Train now": refused with too few labels, in words, as the button's would be.
    await page.getByRole('button', { name: 'Train now' }).waitFor();
    await page.keyboard.press('t');
    await page
      .getByRole('status')
      .filter({ hasText: /^Train now was refused: .*at least 20/ })
      .waitFor();
    // The project pages' overlay lists the tab keys and the page's own.
    await page.keyboard.press('?');
    for (const keys of ['g d', 'g m', 'g i', 'g e', 'g o', 'g s', 't', 'r', 'l']) {
      await dialog.getByRole('cell', { name: keys, exact: true }).waitFor();
    }
    await page.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Typing in a field is typing: `/` focuses the first field, and `g m` typed there stays text.
    await page.keyboard.press('g');
    await page.keyboard.press('m');
    await heading('Members').waitFor();
    await page.keyboard.press('/');
    expect(await focusedId()).toBe('m-user');
    await page.keyboard.type('gs?n');
    await expect(page.getByLabel('User id').inputValue()).resolves.toBe('gs?n');
    expect(page.url()).toMatch(/\/members$/);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.getByLabel('User id').fill('');

    await leaveField();
    await page.keyboard.press('n');
    await heading('New project').waitFor();
    await page.goBack();
    await heading('Members').waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('saves settings, read back over the API, and shows a refusal naming the field', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await heading('Settings').waitFor();
    await page.getByRole('heading', { name: 'Status: active' }).waitFor();
    await audit('console-settings');

    await page.getByLabel('Name', { exact: true }).fill('Console pages, renamed');
    await page.getByLabel('Instructions for labelers (Markdown)').fill('Box every circle, square and triangle.');
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('New label 1 name').fill('hexagon');
    await page.getByLabel('New label 1 colour').fill('#aa2200');
    await page.getByLabel('Images per batch (with two or more labelers)').fill('50');
    // Watch every DOM change from here on: the saved label must never be shown as saved and still to add at once.
    await page.evaluate(watchBothShown);
    // Enter in a field saves.
    await page.getByLabel('Gate: lowest mean IoU of prelabels (0–1)').fill('0.7');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Save: done.' }).waitFor();
    const saved = await readProject();
    expect(saved.name).toBe('Console pages, renamed');
    expect(saved.instructions).toBe('Box every circle, square and triangle.');
    expect(saved.labels.map((l) => l.name)).toEqual(['circle', 'square', 'triangle', 'hexagon']);
    expect(saved.labels[3]).toEqual({ name: 'hexagon', color: '#aa2200' });
    expect(saved.batchPolicy).toEqual({ size: 50, leaseMinutes: 60 });
    expect(saved.mlAssist).toMatchObject({ enabled: true, minMeanIoU: 0.7, minPrecision: 0.9 });
    // The form shows the saved project: the new label is one of its labels, no longer a row to add.
    await page.getByRole('listitem').filter({ hasText: 'hexagon' }).waitFor();
    expect(await page.getByLabel('New label 1 name').count()).toBe(0);
    expect(await page.evaluate('window.bothShown')).toBe(false);

    await page.getByLabel('Gate: lowest precision of prelabels (0–1)').fill('1.5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Save was refused: mlAssist\.minPrecision: ./);
    const field = page.getByLabel('Gate: lowest precision of prelabels (0–1)');
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await page.locator('#f-mlAssist-minPrecision-error').textContent()).toMatch(/^mlAssist\.minPrecision: ./);
    expect(await focusedId()).toBe('f-mlAssist-minPrecision');
    expect((await readProject()).mlAssist.minPrecision).toBe(0.9);
    await audit('console-settings-refused');
    await page.keyboard.press('r'); // in the field: typing, not a re-read
    await expect(field.inputValue()).resolves.toBe('1.5r');
    await leaveField();
    await page.keyboard.press('r');
    await waitFor('the saved value back in the form', 10_000, async () =>
      (await field.inputValue()) === '0.9' ? true : undefined,
    );

    // Someone changes the project meanwhile: the save (If-Match: the version the page read) is refused, not applied
    // over their change, and `r` shows the project as it now is.
    const elsewhere = await api.call('PATCH', `projects/${projectId}`, {
      token: admin.token,
      body: { instructions: 'Changed elsewhere.' },
    });
    expect(elsewhere.status).toBe(200);
    await page.getByLabel('Name', { exact: true }).fill('Renamed over a newer version');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /^Save was refused: The project changed since you read it/ })
      .waitFor();
    expect(await readProject()).toMatchObject({ name: 'Console pages, renamed', instructions: 'Changed elsewhere.' });
    await leaveField();
    await page.keyboard.press('r');
    const instructions = page.getByLabel('Instructions for labelers (Markdown)');
    await waitFor('the newer version in the form', 10_000, async () =>
      (await instructions.inputValue()) === 'Changed elsewhere.' ? true : undefined,
    );
    await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('Console pages, renamed');
  });

  it('imports a COCO file from the page as labels, and shows a refused file’s issues', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await heading('Imports').waitFor();
    await audit('console-imports');
    const fresh = await tasks('new');
    expect(fresh).toHaveLength(3);
    const two = fresh.slice(0, 2);
    const coco = cocoOf(two.map((t) => ({ ...t, label: 'square' })));
    await page.getByLabel('Labels file').setInputFiles({
      name: 'instances_val.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(coco)),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Imported' }).waitFor();
    expect(await page.locator('[data-figure="written"]').textContent()).toBe('2');
    expect(await page.locator('[data-figure="unchanged"]').textContent()).toBe('0');
    await audit('console-imports-done');
    const labeled = await tasks('labeled');
    expect(labeled.map((t) => t.blobPath).sort()).toEqual(two.map((t) => t.blobPath).sort());
    for (const t of labeled) {
      const a = coco.annotations[coco.images.findIndex((i) => i.file_name === t.blobPath)]!;
      expect(t.annotation!.boxes).toEqual([
        { label: 'square', x: a.bbox[0], y: a.bbox[1], width: a.bbox[2], height: a.bbox[3] },
      ]);
      expect(t.annotation!.by).toMatch(/^import:/);
    }

    // The same file again changes nothing, and says so.
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('[data-figure="unchanged"]:text-is("2")').waitFor();

    // An image the project does not have, and a label it lacks: refused whole, its issues listed.
    const elsewhere = cocoOf([
      { blobPath: 'elsewhere/a.png', width: 40, height: 40, label: 'square' },
      { ...fresh[2]!, label: 'pentagon' },
    ]);
    await page.getByLabel('Labels file').setInputFiles({
      name: 'other.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(elsewhere)),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Refused: nothing was imported' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/^The import was refused: The file has \d+ issue/);
    const issues = page.getByRole('table', { name: /issues/i });
    await issues.getByRole('row').filter({ hasText: 'elsewhere/a.png' }).first().waitFor();
    await issues.getByRole('cell', { name: 'missingImage', exact: true }).waitFor();
    await issues.getByRole('cell', { name: 'unknownCategory', exact: true }).waitFor();
    await page.getByText(/Labels the project does not have \(boxes\): pentagon 1/).waitFor();
    await audit('console-imports-refused');
    expect((await tasks('labeled')).length).toBe(2);

    // Over the body limit, or not JSON: the page says so, naming the field, and sends nothing.
    const posts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => r.method() === 'POST' && posts.push(r.url());
    page.on('request', onRequest);
    await page.getByLabel('Labels file').setInputFiles({
      name: 'notes.json',
      mimeType: 'application/json',
      buffer: Buffer.from('images: none'),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(/^source: notes\.json is not JSON/).waitFor();
    await page.getByLabel('Labels file').setInputFiles({
      name: 'huge.json',
      mimeType: 'application/json',
      buffer: Buffer.alloc(16 * 1024 * 1024 + 1, 32),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(/^source: the file is 16\.0 MB; over 16 MB, upload it to the container/).waitFor();
    await expect(page.getByLabel('Labels file').getAttribute('aria-invalid')).resolves.toBe('true');
    page.off('request', onRequest);
    expect(posts).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('imports a blob of the project’s container as prelabels, whether the API answers at once or later', async () => {
    const [last] = await tasks('new');
    expect(last).toBeDefined();
    const coco = cocoOf([{ ...last!, label: 'triangle' }]);
    const text = JSON.stringify(coco);
    const container = await demoContainer(lab.storage, projectId);
    await container.uploadBlockBlob('imports/model-boxes.json', text, Buffer.byteLength(text));

    await page.getByLabel('The boxes become').selectOption('prelabels');
    await page.getByLabel(/^In the project’s blob container/).check();
    await page.getByLabel('Labels file: blob path in the project’s container').fill('imports/model-boxes.json');
    await page.keyboard.press('Enter');
    // Today's API answers 200 with the report; an asynchronous one answers 202 and the page follows the status URL
    // to the same report.
    await page.getByRole('heading', { name: 'Imported' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-figure="written"]').textContent()).toBe('1');
    const [prelabeled] = await tasks('prelabeled');
    expect(prelabeled?.blobPath).toBe(last!.blobPath);
    await audit('console-imports-blob');
    expect(consoleErrors).toEqual([]);
  });

  it('follows a background import’s progress to its report (202 and the status URL as docs/api.md gives them)', async () => {
    // The asynchronous blob-path import is a parallel change to the server: until it is merged, its two answers are
    // served here, exactly as documented, so the page's following of the status URL is what is checked.
    const statusPath = `/api/projects/${projectId}/imports/imp-background`;
    let reads = 0;
    const report = {
      importId: 'imp-background',
      format: 'coco',
      as: 'labels',
      dryRun: false,
      images: 3,
      boxes: 4,
      crowdIgnored: 0,
      issues: { count: 0, byKind: {}, items: [] },
      result: { written: 2, unchanged: 0, leftAlone: { conflict: 1 }, items: [] },
    };
    await page.route(`**/api/projects/${projectId}/imports`, (route) =>
      route.fulfill({
        status: 202,
        headers: { location: statusPath, 'content-type': 'application/json' },
        body: JSON.stringify({ importId: 'imp-background', state: 'scanning', statusUrl: statusPath }),
      }),
    );
    await page.route(`**${statusPath}`, (route) => {
      reads++;
      const status =
        reads < 3
          ? { state: 'scanning', progress: { imagesScanned: reads, imagesWritten: 0, imagesTotal: 3 } }
          : { state: 'completed', progress: { imagesScanned: 3, imagesWritten: 2, imagesTotal: 3 }, report };
      return route.fulfill({ json: { importId: 'imp-background', format: 'coco', ...status } });
    });
    try {
      await page.getByLabel('The boxes become').selectOption('labels');
      await page.getByLabel('Labels file: blob path in the project’s container').fill('imports/big.json');
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.getByText(/^Import imp-background: scanning — [12] of 3 images checked, 0 written$/).waitFor();
      await page.getByRole('heading', { name: 'Imported' }).waitFor();
      await page.getByText('Import imp-background: completed').waitFor();
      expect(await page.locator('[data-figure="written"]').textContent()).toBe('2');
      expect(await page.locator('[data-figure="left-alone"]').textContent()).toBe('1');
      await page.getByText('Left alone (human work is never overwritten): conflict 1.').waitFor();
      const readsAtEnd = reads;
      expect(readsAtEnd).toBe(3);
      // Once final, the page stops asking.
      await new Promise((r) => setTimeout(r, 2500));
      expect(reads).toBe(readsAtEnd);
    } finally {
      await page.unroute(`**/api/projects/${projectId}/imports`);
      await page.unroute(`**${statusPath}`);
    }
  });

  it('pages through the orchestrations and the earlier exports', async () => {
    // Exports are durable instances: enough of them make more than one page of five.
    for (let i = 0; i < 6; i++) {
      const res = await api.call('POST', `projects/${projectId}/exports`, {
        token: admin.token,
        body: { format: 'coco', include: 'labeled' },
      });
      expect(res.status).toBe(202);
    }
    const all = await api.call<{ items: Array<{ instanceId: string }> }>(
      'GET',
      `projects/${projectId}/orchestrations?limit=500`,
      { token: admin.token },
    );
    const every = all.body.items.map((i) => i.instanceId);
    // More than one page of five, at most two.
    expect(every.length).toBeGreaterThan(5);
    expect(every.length).toBeLessThanOrEqual(10);

    /** Every instance id the page shows, page after page with `]`, until there is no next page. */
    async function pageThrough(tableName: string): Promise<string[]> {
      const seen: string[] = [];
      for (let pageNo = 1; ; pageNo++) {
        await page.getByText(new RegExp(`^Page ${pageNo}(,|$)`)).waitFor();
        const rows = page.getByRole('table', { name: tableName }).getByRole('rowheader');
        await rows.first().waitFor();
        const ids = await rows.allTextContents();
        expect(ids.length).toBeLessThanOrEqual(5);
        seen.push(...ids);
        if (await page.getByRole('button', { name: 'Next page' }).isDisabled()) return seen;
        await page.keyboard.press(']');
      }
    }

    await page.keyboard.press('g');
    await page.keyboard.press('o');
    await heading('Orchestrations').waitFor();
    await page.getByLabel('Per page').selectOption('5');
    await leaveField();
    const shown = await pageThrough('Orchestrations');
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown.sort()).toEqual([...every].sort());
    await audit('console-orchestrations-paged');
    // Back with `[` (the listing is two pages of five here), to the first page, which has no page before it.
    await page.getByText('Page 2, the last').waitFor();
    await page.keyboard.press('[');
    await page.getByText('Page 1, more after it').waitFor();
    await expect(page.getByRole('button', { name: 'Previous page' }).isDisabled()).resolves.toBe(true);

    await page.keyboard.press('g');
    await page.keyboard.press('e');
    await heading('Exports').waitFor();
    await page.getByLabel('Per page').selectOption('5');
    await leaveField();
    const exports = await pageThrough('Exports');
    const exportIds = every.filter((id) => id.startsWith(`export-${projectId}-`));
    expect(exportIds.length).toBe(6);
    expect(exports.sort()).toEqual(exportIds.map((id) => id.slice(`export-${projectId}-`.length)).sort());
    await audit('console-exports-paged');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('pauses labeling (the labeler gets no batch) and resumes it', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await heading('Settings').waitFor();
    await page.getByRole('heading', { name: 'Status: active' }).waitFor();
    await page.keyboard.press('p');
    await page.getByRole('heading', { name: 'Status: paused' }).waitFor();
    expect((await readProject()).status).toBe('paused');
    const refused = await api.call('POST', `projects/${projectId}/batches`, {
      token: labeler.token,
      headers: { 'idempotency-key': 'paused-try' },
    });
    expect(refused.status).toBe(409);

    await page.getByRole('button', { name: 'Resume labeling' }).click();
    await page.getByRole('heading', { name: 'Status: active' }).waitFor();
    const batch = await requestBatch(api, projectId, labeler.token, 'resumed-try');
    expect(batch.tasks.length).toBe(1);
    expect(consoleErrors).toEqual([]);
  });

  it('lets a labeler start labeling from "My projects" by key, where the workspace keeps its own keys', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const theirs = await context.newPage();
    const errors: string[] = [];
    theirs.on('pageerror', (e) => errors.push(String(e)));
    try {
      await theirs.goto(`${lab.host.baseUrl}/`);
      await theirs.getByRole('button', { name: 'Sign in' }).click();
      await theirs.getByLabel('Token').fill(labeler.token);
      await theirs.getByRole('button', { name: 'Sign in' }).click();
      await theirs.getByRole('heading', { name: 'Console pages, renamed' }).waitFor();
      await theirs.keyboard.press('?');
      const overlay = theirs.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await overlay.getByRole('cell', { name: 'Start labeling the first to ninth project' }).waitFor();
      await theirs.keyboard.press('Escape');
      await overlay.waitFor({ state: 'detached' });
      await theirs.keyboard.press('1');
      await theirs.waitForURL(new RegExp(`/projects/${projectId}/label$`));
      await theirs.getByRole('button', { name: /^Submit/ }).waitFor();
      // The workspace's `?` lists the workspace's keys (the same overlay component), and the console's are gone.
      await theirs.keyboard.press('?');
      await overlay.getByRole('cell', { name: 'Submit the image' }).waitFor();
      expect(await overlay.getByRole('cell', { name: 'g p', exact: true }).count()).toBe(0);
      await theirs.keyboard.press('Escape');
      await overlay.waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
    expect(errors).toEqual([]);
  });

  it('archives the project after a confirmation', async () => {
    await heading('Settings').waitFor();
    // `a` asks first; Escape (or Cancel) leaves the project as it was.
    await page.keyboard.press('a');
    const confirm = page.getByRole('dialog', { name: /^Archive / });
    await confirm.waitFor();
    await audit('console-settings-archive-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect((await readProject()).status).toBe('active');

    await page.getByRole('button', { name: 'Archive the project…' }).click();
    await confirm.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByRole('heading', { name: 'Status: archived' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Archive: done.' }).waitFor();
    expect((await readProject()).status).toBe('archived');
    await expect(page.getByRole('button', { name: 'Save settings' }).isDisabled()).resolves.toBe(true);
    await waitFor('the labeler to be refused a batch', 10_000, async () => {
      const res = await api.call('POST', `projects/${projectId}/batches`, {
        token: labeler.token,
        headers: { 'idempotency-key': 'archived-try' },
      });
      return res.status === 409 ? res : undefined;
    });
    await audit('console-settings-archived');
    expect(consoleErrors).toEqual([]);
  });
});
