import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maxReportedItems } from './importIssues';
import type { ImportReport, ImportResult } from './importReport';
import { defaultScoreThreshold, importsAs, type ImportFormat, type ImportRequest } from './importRequest';

/**
 * An import from blobs, run by the `importProject` orchestration: what it reads (each blob at the version it had
 * when the import was requested) and what it does with it. Its id comes from exactly that, so the same request
 * again names the same import, and a blob uploaded anew is a new import.
 */
export interface ImportJobSpec {
  projectId: string;
  importId: string;
  format: ImportFormat;
  as: 'labels' | 'prelabels';
  /** Prelabels only. */
  scoreThreshold?: number;
  dryRun: boolean;
  source: { blobPath: string; eTag: string };
  /** coco-results only. */
  dataset?: { blobPath: string; eTag: string };
  requestedAt: string;
  requestedBy: string;
}

/** What names a blob import: the request's options and each blob at the version (etag) it has now. */
export type ImportJobIdentity = Omit<ImportJobSpec, 'importId' | 'requestedAt' | 'requestedBy'>;

export function importJobIdentity(
  projectId: string,
  request: ImportRequest,
  source: { blobPath: string; eTag: string },
  dataset?: { blobPath: string; eTag: string },
): ImportJobIdentity {
  const as = importsAs(request);
  return {
    projectId,
    format: request.format,
    as,
    ...(as === 'prelabels' ? { scoreThreshold: request.scoreThreshold ?? defaultScoreThreshold } : {}),
    dryRun: request.dryRun,
    source,
    ...(dataset ? { dataset } : {}),
  };
}

/** `i` + 22 base64url characters (128 bits of the request's digest). */
export const importIdSchema = z.string().regex(/^i[A-Za-z0-9_-]{22}$/, 'not an import id');

export function importIdFor(spec: ImportJobIdentity): string {
  const identity = [
    spec.projectId,
    spec.format,
    spec.as,
    spec.as === 'prelabels' ? spec.scoreThreshold : null,
    spec.dryRun,
    spec.source.blobPath,
    spec.source.eTag,
    spec.dataset?.blobPath ?? null,
    spec.dataset?.eTag ?? null,
  ];
  return `i${createHash('sha256').update(JSON.stringify(identity)).digest().subarray(0, 16).toString('base64url')}`;
}

export type ImportState = 'scanning' | 'writing' | 'completed' | 'refused' | 'failed';

export interface ImportProgress {
  /** Images read from the file (all of them once scanning is done). */
  imagesScanned: number;
  /** Images whose chunk has been applied (written, or left alone as the report says). */
  imagesWritten: number;
  /** Images to apply, known once scanning is done. */
  imagesTotal?: number;
}

/** The orchestration's custom status while it runs. */
export interface ImportRunStatus {
  state: 'scanning' | 'writing';
  progress: ImportProgress;
}

/** The orchestration's output. */
export interface ImportRunOutput {
  state: 'completed' | 'refused';
  progress: ImportProgress;
  report: ImportReport;
}

/** What `GET …/imports/{importId}` answers. */
export interface ImportView {
  importId: string;
  format: ImportFormat;
  state: ImportState;
  requestedAt: string;
  requestedBy: string;
  progress: ImportProgress;
  report?: ImportReport;
  error?: string;
}

/** What the scan decided. */
export type ScanOutcome =
  /** The file has issues (the report lists them): nothing was written, nothing is staged. */
  | { kind: 'refused'; report: ImportReport }
  /** A dry run: the report says what would be written. */
  | { kind: 'dryRun'; report: ImportReport }
  /** Staged in `chunks` chunks of planned images (`images` in all), to be applied. */
  | { kind: 'staged'; report: ImportReport; chunks: number; images: number };

/** Two chunks' results as one (the listed items stay capped). */
export function mergeResults(a: ImportResult, b: ImportResult): ImportResult {
  const leftAlone = { ...a.leftAlone };
  for (const [k, n] of Object.entries(b.leftAlone) as Array<[keyof ImportResult['leftAlone'], number]>) {
    leftAlone[k] = (leftAlone[k] ?? 0) + n;
  }
  return {
    written: a.written + b.written,
    unchanged: a.unchanged + b.unchanged,
    leftAlone,
    items: [...a.items, ...b.items].slice(0, maxReportedItems),
  };
}

export const emptyResult = (): ImportResult => ({ written: 0, unchanged: 0, leftAlone: {}, items: [] });
