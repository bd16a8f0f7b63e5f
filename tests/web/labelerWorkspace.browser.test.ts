import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { decidePrediction } from '../../shared/domain/prelabeling';
import { demoContainer } from '../backfill/helpers';
import { launchChromium, seriousAxeViolations } from '../helpers/browser';
import { repoRoot, type DevUser } from '../helpers/devhost';
import {
  addMember,
  admin,
  boxInside,
  counters,
  labelingApi,
  requestBatch,
  startLabelingHost,
  waitFor,
  type Box,
  type LabelingHost,
} from '../labeling/harness';

// The labeler's web workspace in a real browser (Debian's chromium through playwright-core) against devhost with
// real images in Azurite. Every image shows the same three objects at known places, so the test knows where to drag
// whatever image the batch serves; the first image of the batch is the prelabeled one (review is served first).

const W = 640;
const H = 480;
const objects = {
  a: { x: 60, y: 50, width: 120, height: 90 },
  b: { x: 300, y: 80, width: 100, height: 150 },
  c: { x: 420, y: 300, width: 160, height: 120 },
};
const labels = ['car', 'person', 'sign'];
const projectId = 'web-labeling';
const classifyId = 'web-classify';
const singleId = 'web-single';
const reviewId = 'web-review';
const shortLeaseId = 'web-short-lease';
const images = 5;
const labeler: DevUser = { id: 'wanda', name: 'Wanda Web', roles: ['labeler'], token: 'wanda-web-token' };
const colleague: DevUser = { id: 'otto', name: 'Otto Other', roles: ['labeler'], token: 'otto-web-token' };
const screenshots = path.join(repoRoot, 'tests', 'web', 'screenshots');

let lab: LabelingHost;
let browser: Browser;
let page: Page;
const api = labelingApi(() => lab.host);
const consoleErrors: string[] = [];
/** Image blobs of the main project the browser has asked for (the shown one and the prefetched ones). */
const requestedImages = new Set<string>();
const prelabelBoxes = [
  { label: 'car', ...objects.a, score: 0.93 },
  { label: 'sign', ...objects.c, score: 0.71 },
];

/** An image with three filled rectangles (the "objects") on a background tinted per image. */
function sceneImage(i: number): Promise<Buffer> {
  const rects = Object.values(objects)
    .map(
      (o, k) =>
        `<rect x="${o.x}" y="${o.y}" width="${o.width}" height="${o.height}" fill="${['#c33', '#36c', '#3a3'][k]}"/>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${rects}</svg>`;
  return sharp({ create: { width: W, height: H, channels: 3, background: { r: 230, g: 230 - i * 8, b: 220 } } })
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
}

/** A task as the admin's listing shows it. */
interface ListedTask {
  id: string;
  state: string;
  annotation?: { boxes?: Box[]; by: string; prelabelOutcome?: string };
  skip?: { reason?: string; by: string };
}

async function tasksIn(state: string, project = projectId): Promise<ListedTask[]> {
  const res = await api.call<{ items: ListedTask[] }>('GET', `projects/${project}/tasks?state=${state}`, {
    token: admin.token,
  });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** A project on `count` scene images in a container of its own, its images registered, the labeler a member. */
async function createProject(id: string, spec: Record<string, unknown>, count = images): Promise<void> {
  const container = await demoContainer(lab.storage, id);
  for (let i = 0; i < count; i++) {
    const png = await sceneImage(i);
    await container.uploadBlockBlob(`scene-${i}.png`, png, png.length, {
      blobHTTPHeaders: { blobContentType: 'image/png' },
    });
  }
  const created = await api.call('POST', 'projects', {
    token: admin.token,
    body: { id, labels: labels.map((name) => ({ name })), dataset: { container: id }, ...spec },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await waitFor(`the images of ${id} to become tasks`, 120_000, async () => {
    const c = await counters(api, id);
    return c.byState.new === count ? c : undefined;
  });
  await addMember(api, id, labeler.id);
}

/** Writes the model's prelabel (`prelabelBoxes`) onto a task through the domain's own decision, as the fan-out does. */
async function prelabel(project: string, taskId: string): Promise<void> {
  const store = new SqliteStore(path.join(lab.host.dataDir, 'labels.db'));
  try {
    const prediction = {
      runId: 'run-0000000250',
      boxes: prelabelBoxes,
      confidence: 0.8,
      threshold: 0.5,
      prelabel: true,
      at: new Date().toISOString(),
    };
    const written = await store.tasks.mutate(project, taskId, (t) => decidePrediction(t, prediction));
    expect(written, JSON.stringify(written)).toMatchObject({ outcome: 'written' });
  } finally {
    await store.close();
  }
}

async function audit(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
}

/** Where an image pixel is on the screen now (the <image> element spans the whole image at the current zoom). */
async function onScreen(p: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const r = (await page.locator('image.photo').boundingBox())!;
  return { x: r.x + (p.x * r.width) / W, y: r.y + (p.y * r.height) / H };
}

async function drag(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const a = await onScreen(from);
  const b = await onScreen(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 6 });
  await page.mouse.up();
}

async function imageWidthOnScreen(): Promise<number> {
  return (await page.locator('image.photo').boundingBox())!.width;
}

const done = (n: number) => page.getByRole('status').filter({ hasText: `${n} done` });

function expectBoxesNear(actual: Box[], expected: Box[]): void {
  expect(actual).toHaveLength(expected.length);
  const sorted = (bs: Box[]) => [...bs].sort((p, q) => p.x - q.x);
  sorted(actual).forEach((box, i) => {
    const want = sorted(expected)[i]!;
    expect(box.label).toBe(want.label);
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      expect(Math.abs(box[k] - want[k]), `${want.label}.${k}: ${box[k]} vs ${want[k]}`).toBeLessThanOrEqual(1);
    }
  });
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  lab = await startLabelingHost([labeler, colleague]);
  await createProject(projectId, {
    name: 'Street objects',
    type: 'objectDetection',
    instructions: 'Draw a tight box around every car, person and sign.',
  });
  await createProject(classifyId, { name: 'Scene tags', type: 'imageClassificationMultiLabel' }, 2);
  await createProject(
    shortLeaseId,
    { name: 'Short lease', type: 'objectDetection', batchPolicy: { leaseMinutes: 0.05 } },
    1,
  );

  await createProject(singleId, { name: 'Scene type', type: 'imageClassification' }, 2);
  await createProject(reviewId, { name: 'Model review', type: 'objectDetection' }, 3);

  // The first image of the main project and every image of the review project get a model's prelabel.
  const [first] = await tasksIn('new');
  await prelabel(projectId, first!.id);
  for (const t of await tasksIn('new', reviewId)) await prelabel(reviewId, t.id);

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => {
    // The browser logs every non-2xx response it fetched; the app expects these (signed out, no batch yet, refused).
    const expected = /\/api\/me$|\/batches\/current$|\/annotation$/.test(m.location().url);
    if (m.type() === 'error' && !(expected && /Failed to load resource/.test(m.text()))) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    if (r.url().includes(`/${projectId}/scene-`)) requestedImages.add(new URL(r.url()).pathname);
  });
}, 240_000);

// What the page showed when a test ended, failed or not: the first thing to look at when one fails.
afterEach(async (ctx) => {
  const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await page?.screenshot({ path: path.join(screenshots, `end-${name}.png`) }).catch(() => undefined);
  if (ctx.task.result?.state === 'fail') console.log(`console errors: ${JSON.stringify(consoleErrors)}`);
});

afterAll(async () => {
  await browser?.close();
  await lab?.host.stop();
  lab?.host.cleanup();
});

describe('the labeler workspace in a browser', () => {
  it('signs in through /.auth and lists my projects', async () => {
    await page.goto(`${lab.host.baseUrl}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await audit('signed-out');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/\.auth\/login\/aad/);
    await audit('sign-in');
    await page.getByLabel('Token').fill(labeler.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Street objects' }).waitFor();
    await page.getByText('Wanda Web').waitFor();
    await audit('projects');
  });

  it('shows the prelabeled image first and stores it as accepted with one key', async () => {
    await page.getByRole('button', { name: 'Start labeling Street objects' }).click();
    await page.getByText('Task prelabeled').waitFor();
    await page.locator('.box.model').first().waitFor();
    // The next images of the batch are fetched ahead (three of them), before the labeler moves on.
    await waitFor('the next images to be prefetched', 15_000, async () =>
      requestedImages.size >= 4 ? true : undefined,
    );
    expect(await page.locator('.box.model').count()).toBe(2);
    await expect(page.locator('.box.model text').first().textContent()).resolves.toMatch(/0\.\d\d/);
    await page.getByText(/^Lease: \d+ min left$/).waitFor();
    await audit('workspace-prelabeled');
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    // The whole list fits the 1280 × 720 screen: nothing to scroll to.
    await expect(help.evaluate((el) => el.scrollHeight <= el.clientHeight)).resolves.toBe(true);
    await audit('shortcuts');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    await page.keyboard.press('a');
    await done(1).waitFor();
    const labeled = await tasksIn('labeled');
    expect(labeled).toHaveLength(1);
    expect(labeled[0]!.annotation!.prelabelOutcome).toBe('accepted');
    expect(labeled[0]!.annotation!.by).toBe(labeler.id);
    expectBoxesNear(
      labeled[0]!.annotation!.boxes!,
      prelabelBoxes.map(({ score: _s, ...b }) => b),
    );
  });

  it('stores three boxes drawn with the mouse at different zooms, one relabeled by key and one resized, ±1 px', async () => {
    await expect(page.getByText('Task prelabeled').count()).resolves.toBe(0);
    // a at the fitted zoom.
    await drag(objects.a, { x: objects.a.x + objects.a.width, y: objects.a.y + objects.a.height });
    // b after zooming in with the wheel over it.
    const before = await imageWidthOnScreen();
    const centre = await onScreen({ x: objects.b.x + objects.b.width / 2, y: objects.b.y + objects.b.height / 2 });
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.wheel(0, -300);
    await waitFor('the wheel zoom', 10_000, async () =>
      (await imageWidthOnScreen()) > before * 1.3 ? true : undefined,
    );
    await drag(objects.b, { x: objects.b.x + objects.b.width, y: objects.b.y + objects.b.height });
    // c at 100 %, drawn short of its corner with the third label, then resized by its handle.
    await page.keyboard.press('o');
    await waitFor('100 %', 10_000, async () => (Math.abs((await imageWidthOnScreen()) - W) < 0.5 ? true : undefined));
    await page.keyboard.press('Escape');
    await page.keyboard.press('3');
    const short = { x: objects.c.x + objects.c.width - 30, y: objects.c.y + objects.c.height - 25 };
    await drag(objects.c, short);
    const handle = (await page.locator('.handle-se').boundingBox())!;
    const corner = await onScreen({ x: objects.c.x + objects.c.width, y: objects.c.y + objects.c.height });
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(corner.x, corner.y, { steps: 6 });
    await page.mouse.up();
    // Relabel a: select it with a click, then the key of the second label.
    const inA = await onScreen({ x: objects.a.x + objects.a.width / 2, y: objects.a.y + objects.a.height / 2 });
    await page.mouse.click(inA.x, inA.y);
    await page.keyboard.press('2');
    expect(await page.locator('.box.human').count()).toBe(3);
    await audit('workspace-drawn');
    // Panning (Space + drag) moves the image and draws nothing; H hides and shows the boxes.
    const beforePan = (await page.locator('image.photo').boundingBox())!;
    const boxBeforePan = (await page.locator('.box rect').first().boundingBox())!;
    const shifted = (r: { x: number; y: number }, from: { x: number; y: number }) =>
      Math.abs(r.x - from.x + 60) < 1 && Math.abs(r.y - from.y + 40) < 1;
    await page.keyboard.down(' ');
    await page.mouse.move(500, 400);
    await page.mouse.down();
    await page.mouse.move(440, 360, { steps: 4 });
    // The image and its boxes follow the pointer during the drag, not only when it ends.
    await waitFor('the image to follow the drag', 10_000, async () =>
      shifted((await page.locator('image.photo').boundingBox())!, beforePan) ? true : undefined,
    );
    expect(shifted((await page.locator('.box rect').first().boundingBox())!, boxBeforePan)).toBe(true);
    await page.mouse.up();
    await page.keyboard.up(' ');
    const afterPan = (await page.locator('image.photo').boundingBox())!;
    expect(afterPan.x - beforePan.x).toBeCloseTo(-60, 0);
    expect(afterPan.y - beforePan.y).toBeCloseTo(-40, 0);
    expect(shifted((await page.locator('.box rect').first().boundingBox())!, boxBeforePan)).toBe(true);
    expect(await page.locator('.box').count()).toBe(3);
    await page.keyboard.press('h');
    expect(await page.locator('.box').count()).toBe(0);
    await page.keyboard.press('h');
    expect(await page.locator('.box').count()).toBe(3);

    await page.keyboard.press('Enter');
    await done(2).waitFor();
    const mine = (await tasksIn('labeled')).find((t) => t.annotation!.boxes!.length === 3)!;
    expectBoxesNear(mine.annotation!.boxes!, [
      { label: 'person', ...objects.a },
      { label: 'car', ...objects.b },
      { label: 'sign', ...objects.c },
    ]);
    expect(mine.annotation!.prelabelOutcome).toBeUndefined();
  });

  it('skips an image with a reason', async () => {
    // Back to the image just submitted and forward again.
    await page.keyboard.press('p');
    await page.getByText('This image is labeled.').waitFor();
    await page.keyboard.press('n');
    await page.getByText('This image is labeled.').waitFor({ state: 'detached' });
    await page.keyboard.press('s');
    await page.getByRole('dialog', { name: 'Skip this image' }).waitFor();
    await audit('skip-dialog');
    await page.keyboard.press('2');
    await done(3).waitFor();
    const skipped = await tasksIn('skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.skip).toMatchObject({
      reason: 'badImage',
      by: labeler.id,
    });
  });

  it('labels an image with the keyboard only', async () => {
    await page.keyboard.press('f');
    await page.keyboard.press('b');
    await page.keyboard.press('3');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Alt+ArrowDown');
    // A second box, deleted again: it must not be stored.
    await page.keyboard.press('b');
    await page.keyboard.press('Delete');
    // Undo brings the deleted box back, redo deletes it again.
    await page.keyboard.press('Control+z');
    expect(await page.locator('.box').count()).toBe(2);
    await page.keyboard.press('Control+Shift+z');
    expect(await page.locator('.box').count()).toBe(1);
    await page.keyboard.press('Enter');
    await done(4).waitFor();
    const byKeys = (await tasksIn('labeled')).find(
      (t) => t.annotation!.boxes!.length === 1 && !t.annotation!.prelabelOutcome,
    )!;
    // `b` puts a quarter-size box in the middle of the fitted view: (240, 180) 160×120 on a 640×480 image.
    expect(byKeys.annotation!.boxes).toEqual([{ label: 'sign', x: 260, y: 180, width: 160, height: 125 }]);
  });

  it('keeps a refused submission on screen with the server’s reason', async () => {
    // The image on screen goes back to the pool and a colleague, joining now, labels it first.
    await addMember(api, projectId, colleague.id);
    const released = await api.call('POST', `projects/${projectId}/batches/current/release`, { token: labeler.token });
    expect(released.status).toBe(200);
    const theirs = await requestBatch(api, projectId, colleague.token, 'otto-batch');
    expect(theirs.tasks).toHaveLength(1);
    for (const t of theirs.tasks) {
      const put = await api.call('PUT', `projects/${projectId}/tasks/${t.taskId}/annotation`, {
        token: colleague.token,
        body: { boxes: [boxInside(t, 'car')] },
      });
      expect(put.status).toBe(200);
    }
    await drag(objects.b, { x: objects.b.x + objects.b.width, y: objects.b.y + objects.b.height });
    const refused = page.waitForResponse((r) => r.url().includes('/annotation') && r.request().method() === 'PUT');
    await page.keyboard.press('Enter');
    const response = await refused;
    expect(response.status()).toBe(409);
    const problem = (await response.json()) as { detail: string };
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(problem.detail);
    expect(await page.locator('.box.human').count()).toBe(1);
    await expect(page.getByRole('status').filter({ hasText: '4 done' }).count()).resolves.toBe(1);
    await audit('refused');
    expect(consoleErrors).toEqual([]);
  });

  it('labels a multi-label classification image with the picker and number keys', async () => {
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.getByRole('button', { name: 'Start labeling Scene tags' }).click();
    await page.getByRole('group', { name: 'Choose every label that applies' }).waitFor();
    await page.keyboard.press('1');
    await page.keyboard.press('3');
    await page.keyboard.press('2');
    await page.keyboard.press('2'); // toggled off again
    expect(await page.getByRole('checkbox', { checked: true }).count()).toBe(2);
    await audit('classification');
    await page.keyboard.press('Enter');
    await done(1).waitFor();
    const [labeled] = await tasksIn('labeled', classifyId);
    expect((labeled!.annotation as { labels?: string[] }).labels).toEqual(['car', 'sign']);
  });

  it('labels a single-label classification image: the picker and number keys replace the choice', async () => {
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.getByRole('button', { name: 'Start labeling Scene type' }).click();
    await page.getByRole('group', { name: 'Choose one label' }).waitFor();
    const checked = async () =>
      page.getByRole('radio', { checked: true }).evaluateAll((els) =>
        els.map((el) =>
          el
            .closest('label')!
            .textContent!.replace(/^\s*\d\s*/, '')
            .trim(),
        ),
      );
    await page.keyboard.press('1');
    expect(await checked()).toEqual(['car']);
    await page.getByRole('radio', { name: 'sign' }).click();
    expect(await checked()).toEqual(['sign']);
    // The clicked radio button has the focus now: the number keys and Enter must still work.
    await page.keyboard.press('2');
    expect(await checked()).toEqual(['person']);
    await audit('classification-single');
    await page.keyboard.press('Enter');
    await done(1).waitFor();
    const labeled = await tasksIn('labeled', singleId);
    expect(labeled).toHaveLength(1);
    expect((labeled[0]!.annotation as { labels?: string[] }).labels).toEqual(['person']);
  });

  it('reviews a prelabel: a moved, relabeled and resized model box is stored as edited, ±1 px', async () => {
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.getByRole('button', { name: 'Start labeling Model review' }).click();
    await page.getByText('Task prelabeled').waitFor();
    await page.locator('.box.model').nth(1).waitFor();
    // The model's boxes show their scores and are drawn apart from the labeler's (dashed).
    await page.getByText('car 0.93').waitFor();
    await page.getByText('sign 0.71').waitFor();
    await expect(
      page
        .locator('.box.model rect')
        .first()
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).strokeDasharray),
    ).resolves.not.toBe('none');
    // Move a by (20, 10) with the mouse and give it the second label.
    await drag({ x: objects.a.x + 30, y: objects.a.y + 30 }, { x: objects.a.x + 50, y: objects.a.y + 40 });
    await page.keyboard.press('2');
    // Select c with a click (which must not change it), then pull its bottom-right handle in by (20, 30).
    const inC = await onScreen({ x: objects.c.x + 40, y: objects.c.y + 40 });
    await page.mouse.click(inC.x, inC.y);
    const handle = (await page.locator('.handle-se').boundingBox())!;
    const to = await onScreen({ x: objects.c.x + objects.c.width - 20, y: objects.c.y + objects.c.height - 30 });
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 6 });
    await page.mouse.up();
    expect(await page.locator('.box.model').count()).toBe(0);
    await audit('review-edited');
    await page.keyboard.press('Enter');
    await done(1).waitFor();
    const [edited] = await tasksIn('labeled', reviewId);
    expect(edited!.annotation!.prelabelOutcome).toBe('edited');
    expectBoxesNear(edited!.annotation!.boxes!, [
      { label: 'person', x: objects.a.x + 20, y: objects.a.y + 10, width: objects.a.width, height: objects.a.height },
      { label: 'sign', x: objects.c.x, y: objects.c.y, width: objects.c.width - 20, height: objects.c.height - 30 },
    ]);
  });

  it('reviews a prelabel: all model boxes deleted is stored as cleared', async () => {
    await page.getByText('Task prelabeled').waitFor();
    expect(await page.locator('.box.model').count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      await page.keyboard.press('e');
      await page.keyboard.press('Delete');
    }
    expect(await page.locator('.box').count()).toBe(0);
    await page.keyboard.press('Enter');
    await done(2).waitFor();
    const cleared = (await tasksIn('labeled', reviewId)).filter((t) => t.annotation!.prelabelOutcome === 'cleared');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]!.annotation!.boxes).toEqual([]);
  });

  it('reviews a prelabel: a box added to the model’s unchanged boxes is stored as edited', async () => {
    await page.getByText('Task prelabeled').waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('2');
    // Zoomed in and panned first: the box drawn after the pan still lands on the object (±1 px).
    const fitted = await imageWidthOnScreen();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await waitFor('the zoom', 10_000, async () => ((await imageWidthOnScreen()) > fitted * 1.5 ? true : undefined));
    const beforePan = (await page.locator('image.photo').boundingBox())!;
    await page.keyboard.down(' ');
    await page.mouse.move(600, 400);
    await page.mouse.down();
    await page.mouse.move(560, 460, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up(' ');
    const afterPan = (await page.locator('image.photo').boundingBox())!;
    expect(afterPan.x - beforePan.x).toBeCloseTo(-40, 0);
    expect(afterPan.y - beforePan.y).toBeCloseTo(60, 0);
    await drag(objects.b, { x: objects.b.x + objects.b.width, y: objects.b.y + objects.b.height });
    expect(await page.locator('.box.model').count()).toBe(2);
    expect(await page.locator('.box.human').count()).toBe(1);
    // The labeler's box is solid, the model's dashed; only the model's carry a score.
    await expect(
      page
        .locator('.box.human rect')
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).strokeDasharray),
    ).resolves.toBe('none');
    await expect(page.locator('.box.human text').textContent()).resolves.toBe('person');
    await page.keyboard.press('Enter');
    await done(3).waitFor();
    const added = (await tasksIn('labeled', reviewId)).find((t) => t.annotation!.boxes!.length === 3)!;
    expect(added.annotation!.prelabelOutcome).toBe('edited');
    expectBoxesNear(added.annotation!.boxes!, [
      { label: 'car', ...objects.a },
      { label: 'person', ...objects.b },
      { label: 'sign', ...objects.c },
    ]);
    expect(consoleErrors).toEqual([]);
  });

  it('says when the batch lease ran out, and still keeps what the labeler submits', async () => {
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.getByRole('button', { name: 'Start labeling Short lease' }).click();
    await page.locator('image.photo').waitFor();
    // The lease is 3 seconds; the workspace re-reads the clock every 10.
    await page.getByText(/lease ran out/).waitFor({ timeout: 60_000 });
    await audit('lease-expired');
    await page.keyboard.press('b');
    await page.keyboard.press('Enter');
    await done(1).waitFor();
    const [labeled] = await tasksIn('labeled', shortLeaseId);
    expect(labeled!.annotation!.by).toBe(labeler.id);
    expect(labeled!.annotation!.boxes).toHaveLength(1);
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it('lays the workspace out on a large screen too (the classification project still has an image)', async () => {
    await page.setViewportSize({ width: 2560, height: 1440 });
    await page.getByRole('link', { name: 'My projects' }).click();
    await page.getByRole('button', { name: 'Start labeling Scene tags' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Image \d+ of/ })
      .waitFor();
    const stage = (await page.locator('.stage').boundingBox())!;
    expect(stage.width).toBeGreaterThan(1800);
    await audit('large-screen');
    expect(consoleErrors).toEqual([]);
  });
});
