import { exportedImage, type SplitName } from '../domain/formats/exportedImage';
import {
  emptyCounts,
  type ChunkWritten,
  type ExportCounts,
  type ExportChunk,
  type ExportFile,
  type ExportSpec,
  type ExportWritten,
} from '../domain/formats/exportRun';
import { exportWriters } from '../domain/formats/exportWriters';
import {
  blockId,
  blockListFor,
  maxChunks,
  type ChunkContext,
  type ExportLayoutContext,
  type FormatWriter,
  type PlacedImage,
  type WholeFile,
} from '../domain/formats/streamedDocument';
import type { Task } from '../domain/task';
import type { Store } from '../ports/store';
import type { TrainingFiles } from '../ports/trainingFiles';
import { mapBounded } from '../util/mapBounded';
import { TextBlockPool, type TextBlock } from '../util/textBlocks';

export interface ExportDeps {
  store: Store;
  files: TrainingFiles;
  /** The image as training jobs name it (Azure ML: its azureml:// datastore URI). */
  imageUrl(blobPath: string): string;
  /** Tasks per chunk: bounds each activity's memory (the tasks of one page, the text of one block). */
  chunkSize?: number;
}

export const exportFolder = (projectId: string, exportId: string) => `${projectId}/exports/${exportId}`;

const defaultChunkSize = 1_000;
/** Label files written at once per chunk (YOLO). */
const fileWrites = 16;
/**
 * Images rendered per call of the format's writer: keeps each call's joined text under V8's large-object size
 * (128 KB), so it dies young instead of landing in the old generation.
 */
const renderSlice = 128;

function layoutOf(spec: ExportSpec): ExportLayoutContext {
  const splits: Array<SplitName | undefined> = spec.split ? ['train', 'validation'] : [undefined];
  return {
    projectId: spec.projectId,
    projectName: spec.projectName,
    labels: spec.labels,
    exportId: spec.exportId,
    requestedAt: spec.requestedAt,
    splits,
  };
}

/**
 * Renders a page of the chunk's tasks (`position` is the first one's place in the chunk's listing) into the
 * chunk's parts, in slices, and adds them to `counts`; returns the page's files of their own (YOLO label files).
 */
function renderPage(
  writer: FormatWriter,
  spec: ExportSpec,
  ctx: ChunkContext,
  page: readonly Task[],
  position: number,
  counts: ExportCounts,
  parts: readonly (readonly TextBlock[])[],
): WholeFile[] {
  const files: WholeFile[] = [];
  for (let start = 0; start < page.length; start += renderSlice) {
    const placed: PlacedImage[] = [];
    page.slice(start, start + renderSlice).forEach((task, i) => {
      const image = exportedImage(task, spec);
      if (!image) return;
      placed.push({ image, position: position + start + i });
      counts.images++;
      counts.annotations += image.boxes.length;
      if (image.source === 'prelabeled') counts.prelabeled++;
      if (image.split) counts[image.split]++;
    });
    const output = writer.chunk(placed, ctx);
    output.parts.forEach((sections, d) => sections.forEach((text, s) => parts[d]![s]!.append(text)));
    files.push(...output.files);
  }
  return files;
}

/**
 * Streamed exports (see shared/domain/formats/streamedDocument.ts): `plan` cuts the project's tasks into chunks,
 * `writeChunk` stages one chunk's blocks (run in parallel, each safe to repeat), `finish` stages the frames and
 * commits every document. Memory is bounded by one chunk, whatever the project's size.
 */
export class ExportService {
  readonly #deps: ExportDeps;
  readonly #chunkSize: number;
  readonly #blocks = new TextBlockPool();

  constructor(deps: ExportDeps) {
    this.#deps = deps;
    this.#chunkSize = deps.chunkSize ?? defaultChunkSize;
  }

  /** Chunk boundaries, as the task listing stands now; tasks added later inside a range are picked up by it. */
  async plan(projectId: string): Promise<ExportChunk[]> {
    const chunks: ExportChunk[] = [];
    let after: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.#deps.store.tasks.list(projectId, {
        limit: this.#chunkSize,
        ...(token ? { continuationToken: token } : {}),
      });
      const last = page.items.at(-1);
      if (!last) break;
      // The last chunk has no end, so tasks added past the planned end are exported too.
      chunks.push({ ...(after ? { after } : {}), ...(page.continuationToken ? { last: last.id } : {}) });
      if (chunks.length > maxChunks) throw new Error(`more than ${maxChunks * this.#chunkSize} tasks to export`);
      after = page.continuationToken;
      token = page.continuationToken;
    } while (token);
    return chunks;
  }

  /** The chunk's tasks in id order (the store's listing order), through `last` even if tasks were added since. */
  async *#pagesOf(projectId: string, chunk: ExportChunk): AsyncGenerator<Task[]> {
    let token = chunk.after;
    for (;;) {
      const page = await this.#deps.store.tasks.list(projectId, {
        limit: this.#chunkSize,
        ...(token ? { continuationToken: token } : {}),
      });
      const end = chunk.last === undefined ? -1 : page.items.findIndex((t) => t.id >= chunk.last!);
      if (end >= 0) {
        const through = page.items[end]!.id === chunk.last ? end + 1 : end;
        yield page.items.slice(0, through);
        return;
      }
      yield page.items;
      if (!page.continuationToken) return;
      token = page.continuationToken;
    }
  }

  async writeChunk(spec: ExportSpec, chunkIndex: number, chunk: ExportChunk): Promise<ChunkWritten> {
    const writer = exportWriters[spec.format];
    const layout = layoutOf(spec);
    const ctx = { ...layout, chunkIndex, imageUrl: this.#deps.imageUrl };
    const folder = exportFolder(spec.projectId, spec.exportId);
    const documents = writer.documents(layout);
    // Per document, per section: this chunk's part, as bytes.
    const parts = documents.map((doc) => doc.frame.slice(1).map(() => this.#blocks.acquire(doc.separator)));
    try {
      const counts = emptyCounts();
      let position = 0;
      for await (const page of this.#pagesOf(spec.projectId, chunk)) {
        // Rendered into bytes before the next await: none of the page's tasks or text is held across one.
        const files = renderPage(writer, spec, ctx, page, position, counts, parts);
        position += page.length;
        await mapBounded(files, fileWrites, (f) =>
          this.#deps.files.write(`${folder}/${f.path}`, f.body, f.contentType),
        );
        counts.labelFiles += files.length;
      }
      await mapBounded(
        documents.flatMap((doc, d) => parts[d]!.map((block, section) => ({ doc, block, section }))),
        4,
        async ({ doc, block, section }) => {
          if (!block.empty)
            await this.#deps.files.stageBlock(
              `${folder}/${doc.path}`,
              blockId('part', section, chunkIndex),
              block.bytes(),
            );
        },
      );
      return { staged: parts.map((sections) => sections.map((block) => !block.empty)), counts };
    } finally {
      for (const block of parts.flat()) this.#blocks.release(block);
    }
  }

  /** Stages each document's frame and separators and commits it; repeating it writes the same files. */
  async finish(spec: ExportSpec, staged: ReadonlyArray<ReadonlyArray<ReadonlyArray<boolean>>>): Promise<ExportWritten> {
    const writer = exportWriters[spec.format];
    const layout = layoutOf(spec);
    const folder = exportFolder(spec.projectId, spec.exportId);
    const documents = writer.documents(layout);
    await Promise.all(
      documents.map(async (doc, d) => {
        const path = `${folder}/${doc.path}`;
        const blocks = blockListFor(
          doc,
          staged.map((chunk) => chunk[d]!),
        );
        await mapBounded(
          blocks.filter((b) => b.body !== undefined),
          8,
          (b) => this.#deps.files.stageBlock(path, b.id, b.body!),
        );
        await this.#deps.files.commitBlocks(
          path,
          blocks.map((b) => b.id),
          doc.contentType,
        );
      }),
    );
    const finals = writer.finalFiles(layout);
    await Promise.all(finals.map((f) => this.#deps.files.write(`${folder}/${f.path}`, f.body, f.contentType)));
    return {
      folder,
      files: [...documents, ...finals].map((f) => ({
        name: f.path,
        path: `${folder}/${f.path}`,
        contentType: f.contentType,
      })),
    };
  }

  /** Read URLs for the written files, valid `minutes`. */
  readUrls(files: readonly ExportFile[], minutes: number) {
    return Promise.all(
      files.map(async (f) => ({ name: f.name, ...(await this.#deps.files.readUrl(f.path, minutes)) })),
    );
  }
}
