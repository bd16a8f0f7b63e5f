import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { parser } from 'stream-json';
import type { IssueLog } from '../domain/imports/importIssues';
import { JsonSections, type JsonToken } from '../domain/imports/jsonSections';
import { CocoDocumentScan, CocoResultsScan, scannedCoco, scannedCocoResults } from '../domain/imports/scanCoco';
import { JsonlScan } from '../domain/imports/scanJsonl';
import type { ScannedImport } from '../domain/imports/scannedImport';

/**
 * Import files read as streams: JSON through stream-json's tokenizer into the section readers (never the whole
 * text, never a segmentation array), JSONL line by line through readline. What is kept is the compact scan
 * (shared/domain/imports/scannedImport.ts); issues go to the log as the inline readers report them.
 */

export type ByteStream = AsyncIterable<Buffer | string> & NodeJS.ReadableStream;

/** Feeds the document's tokens to `sections`; a text that is not JSON logs one `invalid` issue and says false. */
async function tokens(
  stream: ByteStream,
  sections: JsonSections,
  file: 'source' | 'dataset',
  log: IssueLog,
): Promise<boolean> {
  // Tokens are taken as they come ('data'): a Writable per token cost a third of the scan's time.
  const tokenizer = parser({ packValues: true, streamValues: false });
  tokenizer.on('data', (token: JsonToken) => sections.push(token));
  try {
    await pipeline(stream, tokenizer);
  } catch (err) {
    // Storage errors are not the file's fault: they fail the activity, which is retried.
    if (!/^Parser /.test((err as Error).message)) throw err;
    log.add({ kind: 'invalid', file, at: '(document)', message: `not JSON: ${(err as Error).message}` });
    return false;
  }
  if (sections.rootType === undefined) {
    log.add({ kind: 'invalid', file, at: '(document)', message: 'not JSON: the file is empty' });
    return false;
  }
  return true;
}

/** A COCO dataset (`instances_*.json`). */
export async function scanCocoStream(stream: ByteStream, log: IssueLog): Promise<ScannedImport | null> {
  const doc = new CocoDocumentScan('source', true);
  const sections = new JsonSections(doc.layout, doc.sink);
  if (!(await tokens(stream, sections, 'source', log))) return null;
  return scannedCoco(doc, sections, log);
}

/** A COCO results file and the dataset its ids refer to (the dataset is read first: it is the smaller). */
export async function scanCocoResultsStreams(
  results: () => Promise<ByteStream>,
  dataset: () => Promise<ByteStream>,
  log: IssueLog,
): Promise<ScannedImport | null> {
  const ref = new CocoDocumentScan('dataset', false);
  const refSections = new JsonSections(ref.layout, ref.sink);
  const refOk = await tokens(await dataset(), refSections, 'dataset', log);
  const res = new CocoResultsScan();
  const resSections = new JsonSections(res.layout, res.sink);
  const resOk = await tokens(await results(), resSections, 'source', log);
  if (!refOk || !resOk) return null;
  return scannedCocoResults(res, resSections, ref, refSections, log);
}

/** Azure ML JSONL. */
export async function scanJsonlStream(stream: ByteStream, log: IssueLog): Promise<ScannedImport> {
  const scan = new JsonlScan(log);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) scan.line(line, ++n);
  return scan.finish();
}
