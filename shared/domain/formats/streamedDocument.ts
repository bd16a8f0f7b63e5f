import type { ExportedImage, SplitName } from './exportedImage';

/**
 * How an export is written without ever holding it whole: each output document is a frame (fixed text: a header,
 * the text between its sections, a footer) with sections that chunks of tasks fill in parallel. Each chunk stages
 * its part of each section as one block of a block blob; the last step stages the frame and the separators and
 * commits the block list in order. A document is
 *
 *   frame[0] part(section 0, chunk 0) sep part(section 0, chunk 1) … frame[1] part(section 1, chunk 0) … frame[n]
 *
 * where empty parts are left out, so a separator only ever stands between two non-empty parts (JSON arrays need
 * that). Block ids are fixed by (kind, section, chunk): a retried chunk stages the same block again, harmlessly.
 */
export interface StreamedDocument {
  /** Relative to the export's folder. */
  path: string;
  contentType: string;
  /** Text before section 0, between two sections, after the last one: there are `frame.length - 1` sections. */
  frame: string[];
  /** Between two non-empty parts of one section ('' for line formats, whose parts end with a newline). */
  separator: string;
}

/** A small whole file (an MLTable, a data.yaml, one YOLO label file). */
export interface WholeFile {
  path: string;
  body: string;
  contentType: string;
}

export interface ExportLayoutContext {
  projectId: string;
  projectName: string;
  /** The project's label names, in the project's order (category and class ids follow it). */
  labels: readonly string[];
  exportId: string;
  requestedAt: string;
  /** The sides written: `[undefined]` for an export without a split. */
  splits: ReadonlyArray<SplitName | undefined>;
}

export interface ChunkContext extends ExportLayoutContext {
  chunkIndex: number;
  /** The image's URL as training jobs read it (Azure ML: an azureml:// datastore URI). */
  imageUrl(blobPath: string): string;
}

/** An image with its place in the chunk's listing (ids that must be unique across chunks derive from both). */
export interface PlacedImage {
  image: ExportedImage;
  position: number;
}

export interface ChunkOutput {
  /** Per document (in `documents()` order), per section: this chunk's text. */
  parts: string[][];
  /** Files of their own (YOLO writes one label file per image). */
  files: WholeFile[];
}

/** One export format: its documents, what a chunk adds to them, and the small files written at the end. */
export interface FormatWriter {
  documents(ctx: ExportLayoutContext): StreamedDocument[];
  chunk(images: readonly PlacedImage[], ctx: ChunkContext): ChunkOutput;
  finalFiles(ctx: ExportLayoutContext): WholeFile[];
}

/** The index of the split's documents among those of one kind. */
export function splitIndex(ctx: Pick<ExportLayoutContext, 'splits'>, split: SplitName | undefined): number {
  const i = ctx.splits.indexOf(split);
  if (i < 0) throw new Error(`image on split '${String(split)}' in an export without it`);
  return i;
}

/** Most chunks one export can have (a block blob holds at most 50,000 blocks: two per chunk and section, plus frame). */
export const maxChunks = 10_000;

/** Block ids of one blob must all have the same length: kind, section and chunk, fixed width. */
export function blockId(kind: 'frame' | 'part' | 'separator', section: number, chunk: number): string {
  return `${kind[0]}${String(section).padStart(3, '0')}${String(chunk).padStart(7, '0')}`;
}

export interface BlockEntry {
  id: string;
  /** Set for frame and separator blocks, which the commit stages itself; parts were staged by their chunk. */
  body?: string;
}

/**
 * The document's blocks in order, given which parts each chunk staged (`staged[chunk][section]`, false for an
 * empty part). Empty frame texts get no block.
 */
export function blockListFor(doc: StreamedDocument, staged: ReadonlyArray<ReadonlyArray<boolean>>): BlockEntry[] {
  const sections = doc.frame.length - 1;
  const list: BlockEntry[] = [];
  const frame = (i: number) => {
    if (doc.frame[i] !== '') list.push({ id: blockId('frame', i, 0), body: doc.frame[i]! });
  };
  for (let s = 0; s < sections; s++) {
    frame(s);
    let first = true;
    staged.forEach((sections, chunk) => {
      if (!sections[s]) return;
      if (!first && doc.separator !== '') list.push({ id: blockId('separator', s, chunk), body: doc.separator });
      list.push({ id: blockId('part', s, chunk) });
      first = false;
    });
  }
  frame(sections);
  return list;
}

export const splitSuffix = (split: SplitName | undefined) => (split ? `_${split}` : '');
