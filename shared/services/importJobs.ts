import type { Decision } from '../domain/blobFacts';
import { decideImportedLabels, decideImportedPrelabel, type Importer } from '../domain/imports/decideImport';
import { blobPathCandidates } from '../domain/imports/imageRefs';
import { IssueLog } from '../domain/imports/importIssues';
import type { ImportItem } from '../domain/imports/importItems';
import { emptyResult, type ImportJobSpec, type ScanOutcome } from '../domain/imports/importJob';
import { ImportPlanner, maxMissingLookups, notLookedUp } from '../domain/imports/importPlan';
import { ResultTally, type ImportReport, type ImportResult } from '../domain/imports/importReport';
import { defaultScoreThreshold } from '../domain/imports/importRequest';
import { GroupedBoxes, type ScannedImport } from '../domain/imports/scannedImport';
import type { Project } from '../domain/project';
import { taskIdFor, type Box, type Task } from '../domain/task';
import type { BlobStreams } from '../ports/blobStreams';
import type { Store } from '../ports/store';
import type { TrainingFiles } from '../ports/trainingFiles';
import { mapBounded } from '../util/mapBounded';
import { scanCocoResultsStreams, scanCocoStream, scanJsonlStream } from './importScan';
import { TrainingService } from './training';

export interface ImportJobDeps {
  store: Store;
  blobs: BlobStreams;
  /** Where the planned chunks are staged between the scan and the writes (the training container). */
  files: TrainingFiles;
  /** Images per staged chunk: bounds the memory of one write activity and the planning step. */
  chunkImages?: number;
}

/** One planned image as staged: the task, the image as the file names it, its boxes in pixels. */
interface StagedImage {
  t: string;
  r: string;
  b: Box[];
}

const defaultChunkImages = 1_000;
const lookupConcurrency = 16;
const writeChunk = 500;

export const importFolder = (projectId: string, importId: string) => `${projectId}/imports/${importId}`;
const chunkPath = (spec: Pick<ImportJobSpec, 'projectId' | 'importId'>, index: number) =>
  `${importFolder(spec.projectId, spec.importId)}/chunk-${String(index).padStart(6, '0')}.json`;

/**
 * Imports from blobs of any size, in three steps the `importProject` orchestration runs. `scan` streams the file,
 * checks all of it as the inline import does (shared/services/imports.ts), matches every image to its task and, if
 * there is no issue, stages the planned images in chunk files with fixed names (a re-run stages the same files).
 * `applyChunk` writes one chunk through `store.tasks.mutateMany` with the domain's decisions (a re-run writes
 * nothing: the tasks already hold it). `finish` removes the staged chunks and says whether training is due.
 */
export class ImportJobService {
  readonly #d: ImportJobDeps;
  readonly #chunkImages: number;

  constructor(deps: ImportJobDeps) {
    this.#d = deps;
    this.#chunkImages = deps.chunkImages ?? defaultChunkImages;
  }

  async #project(projectId: string): Promise<Project> {
    const project = await this.#d.store.projects.get(projectId);
    if (!project) throw new Error(`project '${projectId}' is gone`);
    return project.value;
  }

  #open(project: Project, blob: { blobPath: string; eTag: string }) {
    const at = { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
    return this.#d.blobs.open(at, blob.blobPath, blob.eTag);
  }

  async #read(project: Project, spec: ImportJobSpec, log: IssueLog): Promise<ScannedImport | null> {
    if (spec.format === 'coco-results') {
      return scanCocoResultsStreams(
        () => this.#open(project, spec.source),
        () => this.#open(project, spec.dataset!),
        log,
      );
    }
    const stream = await this.#open(project, spec.source);
    return spec.format === 'azureml-jsonl' ? scanJsonlStream(stream, log) : scanCocoStream(stream, log);
  }

  async scan(spec: ImportJobSpec): Promise<ScanOutcome> {
    const project = await this.#project(spec.projectId);
    const log = new IssueLog();
    const scanned = await this.#read(project, spec, log);
    const report: ImportReport = {
      importId: spec.importId,
      format: spec.format,
      as: spec.as,
      dryRun: spec.dryRun,
      images: scanned?.images.length ?? 0,
      boxes: scanned?.boxes.length ?? 0,
      crowdIgnored: scanned?.crowdIgnored ?? 0,
      issues: log.summary,
    };
    if (!scanned) return { kind: 'refused', report };

    const grouped = new GroupedBoxes(scanned);
    const planner = new ImportPlanner(project, log);
    const tally = new ResultTally();
    const decide = this.#decider(spec);
    const missing = { count: 0 };
    let chunks = 0;
    let images = 0;
    for (let start = 0; start < scanned.images.length; start += this.#chunkImages) {
      const items = grouped.itemsFor(start, start + this.#chunkImages);
      const planned = planner.plan(items, await this.#resolve(project, items, missing));
      if (spec.dryRun) {
        for (const p of planned) tally.addDecision(p.taskId, p.ref, decide(p.task, p.boxes));
      } else if (log.empty) {
        // Staged only while the file is clean so far; a later issue removes what was staged.
        const staged: StagedImage[] = planned.map((p) => ({ t: p.taskId, r: p.ref, b: p.boxes }));
        await this.#d.files.write(chunkPath(spec, chunks), JSON.stringify(staged), 'application/json');
        chunks++;
      }
      images += planned.length;
    }
    planner.finish();
    if (!log.empty) {
      await this.#removeChunks(spec);
      return { kind: 'refused', report };
    }
    if (spec.dryRun) return { kind: 'dryRun', report: { ...report, result: tally.result } };
    return { kind: 'staged', report, chunks, images };
  }

  /** Writes staged chunk `index`; what each image's task says now decides (human work is left alone). */
  async applyChunk(spec: ImportJobSpec, index: number): Promise<ImportResult> {
    const body = await this.#d.files.read(chunkPath(spec, index));
    if (!body) throw new Error(`import ${spec.importId}: staged chunk ${index} is missing`);
    const staged = JSON.parse(body.toString('utf8')) as StagedImage[];
    const decide = this.#decider(spec);
    const tally = new ResultTally();
    for (let i = 0; i < staged.length; i += writeChunk) {
      const part = staged.slice(i, i + writeChunk);
      const results = await this.#d.store.tasks.mutateMany(
        spec.projectId,
        part.map((s) => ({ taskId: s.t, mutation: (t: Task | undefined) => decide(t, s.b) })),
      );
      results.forEach((r, j) =>
        tally.add(r.taskId, part[j]!.r, { written: r.outcome === 'written', reason: r.reason }),
      );
    }
    return staged.length === 0 ? emptyResult() : tally.result;
  }

  /** Removes the staged chunks; true when imported labels made a training run due (the caller nudges ML Assist). */
  async finish(spec: ImportJobSpec, written: number): Promise<boolean> {
    await this.#removeChunks(spec);
    if (spec.dryRun || spec.as !== 'labels' || written === 0) return false;
    const project = await this.#project(spec.projectId);
    return (await new TrainingService({ store: this.#d.store }).due(project)) !== undefined;
  }

  async #removeChunks(spec: ImportJobSpec): Promise<void> {
    const names = await this.#d.files.list(`${importFolder(spec.projectId, spec.importId)}/`);
    await mapBounded(names, 8, (name) => this.#d.files.delete(name));
  }

  #decider(spec: ImportJobSpec) {
    // The request's time, not the clock: a retried write records exactly what the first attempt did.
    const by: Importer = { importId: spec.importId, format: spec.format, now: spec.requestedAt };
    const threshold = spec.scoreThreshold ?? defaultScoreThreshold;
    return (task: Task | undefined, boxes: Box[]): Decision =>
      spec.as === 'labels' ? decideImportedLabels(task, boxes, by) : decideImportedPrelabel(task, boxes, threshold, by);
  }

  /** As ImportService: the first candidate path that is a task; lookups stop once too many images are missing. */
  #resolve(
    project: Project,
    items: readonly ImportItem[],
    missing: { count: number },
  ): Promise<Array<Task | undefined | typeof notLookedUp>> {
    const { store } = this.#d;
    return mapBounded(items, lookupConcurrency, async (item) => {
      if (missing.count >= maxMissingLookups) return notLookedUp;
      for (const blobPath of blobPathCandidates(item.ref, project.dataset)) {
        const task = await store.tasks.get(project.id, taskIdFor(project.dataset.container, blobPath));
        if (task) return task.value;
      }
      missing.count++;
      return undefined;
    });
  }
}
