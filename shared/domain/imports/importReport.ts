import type { Decision } from '../blobFacts';
import { importSkipOf, type ImportSkip } from './decideImport';
import { maxReportedItems, type IssueSummary } from './importIssues';
import type { ImportFormat } from './importRequest';

/** What an import did, or would do (dry run), per task: the counts, and the first images it left alone. */
export interface ImportResult {
  /** Tasks written: labeled (labels) or prelabeled / scored (prelabels). */
  written: number;
  /** Tasks that already held exactly this (a re-run changes nothing). */
  unchanged: number;
  /** Tasks left alone, by why (see shared/domain/imports/decideImport.ts). */
  leftAlone: Partial<Record<Exclude<ImportSkip, 'unchanged'>, number>>;
  /** The first tasks left alone, with the image as the file names it. */
  items: Array<{ taskId: string; image: string; reason: Exclude<ImportSkip, 'unchanged'>; detail: string }>;
}

export interface ImportReport {
  /** Derived from the format and what the file says, so the same file imports under the same id. */
  importId: string;
  format: ImportFormat;
  /** Labels (a COCO dataset, Azure ML JSONL) or prelabels for review (COCO results). */
  as: 'labels' | 'prelabels';
  dryRun: boolean;
  /** Images and boxes the file holds. */
  images: number;
  boxes: number;
  /** Crowd regions (`iscrowd: 1`), not imported. */
  crowdIgnored: number;
  issues: IssueSummary;
  /** Absent when the file has issues: then nothing was written. */
  result?: ImportResult;
}

/** Adds up decisions (made now or by the store's writes) into the result. */
export class ResultTally {
  readonly result: ImportResult = { written: 0, unchanged: 0, leftAlone: {}, items: [] };

  add(taskId: string, image: string, outcome: { written: boolean; reason?: string }): void {
    if (outcome.written) {
      this.result.written++;
      return;
    }
    const skip = importSkipOf(outcome.reason) ?? 'gone';
    if (skip === 'unchanged') {
      this.result.unchanged++;
      return;
    }
    this.result.leftAlone[skip] = (this.result.leftAlone[skip] ?? 0) + 1;
    if (this.result.items.length < maxReportedItems) {
      this.result.items.push({ taskId, image, reason: skip, detail: outcome.reason ?? '' });
    }
  }

  addDecision(taskId: string, image: string, d: Decision): void {
    this.add(taskId, image, d.kind === 'write' ? { written: true } : { written: false, reason: d.reason });
  }
}
