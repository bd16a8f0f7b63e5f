import { edgeTolerancePx, maxBoxesPerImage } from '../annotation';
import { toPixelBox } from '../normalizedBox';
import type { Project } from '../project';
import type { Box, Task } from '../task';
import type { IssueLog } from './importIssues';
import type { ImportItem, Located } from './importItems';

/**
 * Images found missing after which the rest are not looked up: the import is refused either way, and a file of
 * 200,000 images from somewhere else would otherwise cost a few million point reads to say so.
 */
export const maxMissingLookups = 1000;
export const notLookedUp = Symbol('notLookedUp');

/** One image of an import, matched to its task, with its boxes in pixels. */
export interface PlannedImage {
  taskId: string;
  /** The image as the file names it (for the report). */
  ref: string;
  boxes: Box[];
  /** The task as read while planning (a dry run decides on it; a real run re-reads under the write). */
  task: Task;
}

/** Hundredths of a pixel, as prelabels are stored: fractions back to pixels land on what was exported. */
const px = (v: number) => Math.round(v * 100) / 100;

function pixelBoxes(item: ImportItem, task: Task, log: IssueLog): Array<Located<Box>> | undefined {
  if (item.pixels) return item.pixels;
  if (task.width === null || task.height === null) {
    log.add({
      kind: 'sizeUnknown',
      file: item.file,
      at: item.at,
      message: 'the image size is not known, so its boxes (fractions) cannot be placed',
      image: item.ref,
    });
    return undefined;
  }
  const size = { width: task.width, height: task.height };
  return (item.fractions ?? []).map(({ at, box }) => {
    const b = toPixelBox(box, size);
    return { at, box: { label: b.label, x: px(b.x), y: px(b.y), width: px(b.width), height: px(b.height) } };
  });
}

/**
 * Checks each image against the project and its task (`tasks[i]` is what `items[i]` resolved to, undefined when
 * nothing matched, `notLookedUp` when the lookups stopped early: see maxMissingLookups;
 * nothing matched): the image is a live task of the project, named once, of the size the file says; every box's
 * label is one of the project's, and every box lies inside the image (1 px tolerance, as for submissions). Logs
 * every issue; the plan is only used when there is none.
 */
export function planImport(
  items: readonly ImportItem[],
  tasks: ReadonlyArray<Task | undefined | typeof notLookedUp>,
  project: Pick<Project, 'labels' | 'dataset'>,
  log: IssueLog,
): PlannedImage[] {
  const planner = new ImportPlanner(project, log);
  const planned = planner.plan(items, tasks);
  planner.finish();
  return planned;
}

/**
 * `planImport` a part at a time (a streamed import plans its images a thousand at a time): what must hold across
 * the whole file (one image named twice under two names, the images not looked up) is kept between parts.
 */
export class ImportPlanner {
  readonly #labels: Set<string>;
  readonly #known: string;
  readonly #seen = new Map<string, { at: string; ref: string }>();
  readonly #project: Pick<Project, 'labels' | 'dataset'>;
  readonly #log: IssueLog;
  #skipped = 0;
  #file: ImportItem['file'] | undefined;

  constructor(project: Pick<Project, 'labels' | 'dataset'>, log: IssueLog) {
    this.#project = project;
    this.#log = log;
    this.#labels = new Set(project.labels.map((l) => l.name));
    this.#known = [...this.#labels].join(', ');
  }

  plan(items: readonly ImportItem[], tasks: ReadonlyArray<Task | undefined | typeof notLookedUp>): PlannedImage[] {
    const { labels, known } = { labels: this.#labels, known: this.#known };
    const project = this.#project;
    const log = this.#log;
    const seen = this.#seen;
    const planned: PlannedImage[] = [];
    this.#file ??= items[0]?.file;
    items.forEach((item, i) => {
      const task = tasks[i];
      if (task === notLookedUp) {
        this.#skipped++;
        return;
      }
      const image = item.ref;
      const where = { file: item.file, at: item.at, image };
      if (!task || task.state === 'removed' || task.state === 'rejected') {
        const why = !task
          ? `no image '${image}' in the project's dataset (container '${project.dataset.container}'${project.dataset.prefix ? `, prefix '${project.dataset.prefix}'` : ''})`
          : task.state === 'removed'
            ? `the image '${task.blobPath}' was deleted`
            : `'${task.blobPath}' is not a usable image (${task.rejectReason ?? 'rejected'})`;
        log.add({ kind: 'missingImage', ...where, message: why });
        return;
      }
      const earlier = seen.get(task.id);
      if (earlier !== undefined) {
        // The same name twice was reported as the file was read; two names for one blob are found only here.
        if (earlier.ref !== item.ref) {
          log.add({
            kind: 'duplicateImage',
            ...where,
            message: `names the same image as ${earlier.at} ('${task.blobPath}')`,
          });
        }
        return;
      }
      seen.set(task.id, { at: item.at, ref: item.ref });
      const { width, height } = task;
      if (item.declared && width !== null && height !== null) {
        if (item.declared.width !== width || item.declared.height !== height) {
          log.add({
            kind: 'sizeMismatch',
            ...where,
            message: `the file says ${item.declared.width}×${item.declared.height}, the image is ${width}×${height}`,
          });
        }
      }
      const boxes = pixelBoxes(item, task, log);
      if (!boxes) return;
      if (boxes.length > maxBoxesPerImage) {
        log.add({
          kind: 'tooManyBoxes',
          ...where,
          message: `${boxes.length} boxes; at most ${maxBoxesPerImage} per image`,
        });
      }
      for (const { at, box } of boxes) {
        const on = { file: item.file, at, image };
        if (!labels.has(box.label)) {
          log.addUnknownLabel(box.label, {
            kind: 'unknownCategory',
            ...on,
            message: `'${box.label}' is not one of the project's labels (${known})`,
          });
        }
        const outside =
          box.x < -edgeTolerancePx ||
          box.y < -edgeTolerancePx ||
          (width !== null && box.x + box.width > width + edgeTolerancePx) ||
          (height !== null && box.y + box.height > height + edgeTolerancePx);
        if (outside) {
          log.add({
            kind: 'outOfImage',
            ...on,
            message: `box [${box.x}, ${box.y}, ${box.width}, ${box.height}] extends past the ${width ?? '?'}×${height ?? '?'} image`,
          });
        }
      }
      planned.push({ taskId: task.id, ref: image, boxes: boxes.map((b) => b.box), task });
    });
    return planned;
  }

  /** The issue for the images not looked up, if any; call once, after the last part. */
  finish(): void {
    if (this.#skipped > 0) {
      this.#log.add({
        kind: 'missingImage',
        file: this.#file ?? 'source',
        at: '(document)',
        message: `more than ${maxMissingLookups} images are not in the project; ${this.#skipped} more were not looked up`,
      });
    }
  }
}
