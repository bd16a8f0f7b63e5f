import type { ExportFormat, ExportInclude } from './exportRequest';

/** The records an export run passes between its steps (shared/services/exports.ts, shared/workflows/exports.ts). */

/** Everything an export run needs, fixed when it was requested (the labels and name as they were then). */
export interface ExportSpec {
  projectId: string;
  exportId: string;
  format: ExportFormat;
  include: ExportInclude;
  split?: { validation: number; seed: number };
  projectName: string;
  labels: string[];
  requestedAt: string;
  requestedBy: string;
}

/**
 * One chunk of the project's tasks in id order: from the listing's continuation token `after` (the start if unset)
 * through task `last` (the end of the listing if unset).
 */
export interface ExportChunk {
  after?: string;
  last?: string;
}

export interface ExportCounts {
  images: number;
  annotations: number;
  /** Images whose boxes are the model's (include `labeled+prelabeled`). */
  prelabeled: number;
  train: number;
  validation: number;
  /** Files of their own per image (YOLO label files). */
  labelFiles: number;
}

export interface ChunkWritten {
  /** Per document, per section: whether this chunk staged a non-empty part. */
  staged: boolean[][];
  counts: ExportCounts;
}

export interface ExportFile {
  name: string;
  path: string;
  contentType: string;
}

export interface ExportWritten {
  folder: string;
  files: ExportFile[];
}

export const emptyCounts = (): ExportCounts => ({
  images: 0,
  annotations: 0,
  prelabeled: 0,
  train: 0,
  validation: 0,
  labelFiles: 0,
});

export function addCounts(a: ExportCounts, b: ExportCounts): ExportCounts {
  return {
    images: a.images + b.images,
    annotations: a.annotations + b.annotations,
    prelabeled: a.prelabeled + b.prelabeled,
    train: a.train + b.train,
    validation: a.validation + b.validation,
    labelFiles: a.labelFiles + b.labelFiles,
  };
}
