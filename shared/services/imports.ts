import { createHash } from 'node:crypto';
import type { Decision } from '../domain/blobFacts';
import { decideImportedLabels, decideImportedPrelabel, type Importer } from '../domain/imports/decideImport';
import { blobPathCandidates } from '../domain/imports/imageRefs';
import { IssueLog } from '../domain/imports/importIssues';
import {
  readAzureMlJsonl,
  readCoco,
  readCocoResults,
  type ImportItem,
  type ReadItems,
} from '../domain/imports/importItems';
import { maxMissingLookups, notLookedUp, planImport, type PlannedImage } from '../domain/imports/importPlan';
import { ResultTally, type ImportReport } from '../domain/imports/importReport';
import { defaultScoreThreshold, importsAs, type ImportRequest } from '../domain/imports/importRequest';
import type { Project } from '../domain/project';
import { taskIdFor, type Task } from '../domain/task';
import type { BlobGateway } from '../ports/blobGateway';
import type { Store } from '../ports/store';
import { mapBounded } from '../util/mapBounded';
import { loadSource, type SourceRefusal } from './importSource';
import { TrainingService } from './training';

export interface ImportServiceDeps {
  store: Store;
  blobs: BlobGateway;
  now?: () => Date;
}

export type ImportOutcome =
  | { kind: 'refused'; status: 409 | 413 | 422; title: string; message: string; field?: string }
  /** The file has issues (the report lists them): nothing was written. */
  | { kind: 'invalid'; report: ImportReport }
  | { kind: 'done'; report: ImportReport; trainingDue: boolean };

/** Point reads in flight while matching images to tasks, and tasks per store write. */
const lookupConcurrency = 16;
const writeChunk = 500;

/**
 * Imports: read the whole file, match every image to its task and check everything (issues → nothing written),
 * then write through `store.tasks.mutateMany` (the counters stay in step) with the domain's decisions, which leave
 * human work alone and make a re-run change nothing.
 */
export class ImportService {
  readonly #d: ImportServiceDeps;

  constructor(deps: ImportServiceDeps) {
    this.#d = deps;
  }

  async run(project: Project, request: ImportRequest): Promise<ImportOutcome> {
    const refused = projectRefusal(project);
    if (refused) return refused;
    const log = new IssueLog();
    const read = await this.#read(project, request, log);
    if ('refused' in read) return { kind: 'refused', ...read.refused };
    const as = importsAs(request);
    const boxes = read.items.reduce((n, i) => n + (i.pixels ?? i.fractions ?? []).length, 0);
    const tasks = await this.#resolve(project, read.items);
    const plan = planImport(read.items, tasks, project, log);
    const threshold = request.scoreThreshold ?? defaultScoreThreshold;
    const importId = importIdOf(request, plan, threshold);
    const report: ImportReport = {
      importId,
      format: request.format,
      as,
      dryRun: request.dryRun,
      images: read.items.length,
      boxes,
      crowdIgnored: read.crowdIgnored,
      issues: log.summary,
    };
    if (!log.empty) return { kind: 'invalid', report };

    const by: Importer = { importId, format: request.format, now: (this.#d.now?.() ?? new Date()).toISOString() };
    const decide = (task: Task | undefined, image: PlannedImage): Decision =>
      as === 'labels'
        ? decideImportedLabels(task, image.boxes, by)
        : decideImportedPrelabel(task, image.boxes, threshold, by);
    const tally = new ResultTally();
    if (request.dryRun) {
      for (const image of plan) tally.addDecision(image.taskId, image.ref, decide(image.task, image));
    } else {
      for (let i = 0; i < plan.length; i += writeChunk) {
        const chunk = plan.slice(i, i + writeChunk);
        const results = await this.#d.store.tasks.mutateMany(
          project.id,
          chunk.map((image) => ({ taskId: image.taskId, mutation: (t: Task | undefined) => decide(t, image) })),
        );
        results.forEach((r, j) =>
          tally.add(r.taskId, chunk[j]!.ref, { written: r.outcome === 'written', reason: r.reason }),
        );
      }
    }
    report.result = tally.result;
    const trainingDue =
      !request.dryRun &&
      as === 'labels' &&
      tally.result.written > 0 &&
      (await new TrainingService(this.#d).due(project)) !== undefined;
    return { kind: 'done', report, trainingDue };
  }

  async #read(
    project: Project,
    request: ImportRequest,
    log: IssueLog,
  ): Promise<ReadItems | { refused: SourceRefusal }> {
    const none: ReadItems = { items: [], crowdIgnored: 0 };
    const { blobs } = this.#d;
    const text = request.format === 'azureml-jsonl';
    const source = await loadSource(blobs, project, request.source, text ? 'text' : 'json', 'source', log);
    if (!source.ok && source.refused) return { refused: source.refused };
    if (request.format === 'coco-results') {
      const dataset = await loadSource(blobs, project, request.dataset!, 'json', 'dataset', log);
      if (!dataset.ok && dataset.refused) return { refused: dataset.refused };
      return source.ok && dataset.ok ? readCocoResults(source.value, dataset.value, log) : none;
    }
    if (!source.ok) return none;
    return text ? readAzureMlJsonl(source.value as string, log) : readCoco(source.value, log);
  }

  /**
   * Each image's task: the first of its candidate blob paths that is a task of the project. Once `maxMissingLookups`
   * images are found missing, the rest are not looked up (the import is refused anyway).
   */
  #resolve(project: Project, items: readonly ImportItem[]): Promise<Array<Task | undefined | typeof notLookedUp>> {
    const { store } = this.#d;
    let missing = 0;
    return mapBounded(items, lookupConcurrency, async (item) => {
      if (missing >= maxMissingLookups) return notLookedUp;
      for (const blobPath of blobPathCandidates(item.ref, project.dataset)) {
        const task = await store.tasks.get(project.id, taskIdFor(project.dataset.container, blobPath));
        if (task) return task.value;
      }
      missing++;
      return undefined;
    });
  }
}

/** Why the project takes no import at all (archived, or not object detection), if it does not. */
export function projectRefusal(project: Project): Extract<ImportOutcome, { kind: 'refused' }> | undefined {
  if (project.status === 'archived') {
    return {
      kind: 'refused',
      status: 409,
      title: 'Project archived',
      message: `Project '${project.id}' is archived.`,
    };
  }
  if (project.type !== 'objectDetection') {
    return {
      kind: 'refused',
      status: 422,
      title: 'Not an object detection project',
      message: `Imports bring bounding boxes; project '${project.id}' is ${project.type}.`,
    };
  }
  return undefined;
}

/** The same format, boxes and threshold on the same tasks: the same id, however the file was sent. */
function importIdOf(request: ImportRequest, plan: readonly PlannedImage[], threshold: number): string {
  const hash = createHash('sha256').update(`${request.format}:${importsAs(request)}`);
  if (importsAs(request) === 'prelabels') hash.update(String(threshold));
  for (const p of plan) {
    hash.update(p.taskId);
    for (const b of p.boxes) hash.update(`|${b.label},${b.x},${b.y},${b.width},${b.height},${b.score ?? ''}`);
  }
  return hash.digest('base64url').slice(0, 16);
}
