/**
 * The owner console's reading of the admin API (docs/api.md): the dashboard (shared/domain/dashboard.ts), members,
 * training runs, exports, imports and orchestrations. Kept apart from the server's types, which import Node modules;
 * tests/web/webTypes.test.ts keeps them in step (the dashboard, project, export and import views, and the PATCH and import
 * bodies the console sends).
 */
export type PrelabelOutcomes = { accepted: number; edited: number; cleared: number };

export interface RunSummary {
  runId: string;
  state: string;
  trigger: string;
  requestedAt: string;
  finishedAt?: string;
  labeledAtRequest: number;
  progress?: number;
  metrics?: { mAP50: number; mAP50_95: number; matchedMeanIoU: number };
  gate?: {
    passed: boolean;
    threshold?: number;
    precision?: number;
    recall?: number;
    meanIoU?: number;
    reason?: string;
    additionalLabelsNeeded?: number;
  };
  fieldOutcomes: PrelabelOutcomes;
  failure?: string;
}

export interface LabelerRow {
  labelerId: string;
  role?: string;
  labeled: number;
  skipped: number;
  boxes: number;
  boxesPerImage?: number;
  secondsPerImage?: { median: number; p90: number; mean: number; timedSubmissions: number };
  prelabels: PrelabelOutcomes;
  lastActiveDay?: string;
  lastActiveHour?: string;
  throughput: { lastHour: number; lastDay: number };
}

export interface Dashboard {
  projectId: string;
  generatedAt: string;
  totals: {
    images: number;
    new: number;
    prelabeled: number;
    assigned: number;
    labeled: number;
    labeledManually: number;
    labeledFromPrelabels: number;
    labeledImported: number;
    skipped: number;
    removed: number;
    rejected: number;
    progress: number;
  };
  classes: { total: number; byLabel: Array<{ label: string; count: number }> };
  queue: { manual: number; prelabeled: number; inProgress: number };
  progressOverTime: {
    hourly: Array<{ hour: string; labeled: number }>;
    daily: Array<{ day: string; labeled: number }>;
  };
  mlAssist: {
    enabled: boolean;
    phase: 'off' | 'collectingLabels' | 'trainingDue' | 'training' | 'prelabeling';
    labeled: number;
    nextTrainingAt?: number;
    labelsNeededBeforeNextRun?: number;
    lastRunOutcome?: { runId: string; state: string; reason?: string };
    runs: RunSummary[];
    prelabelOutcomes: PrelabelOutcomes;
  };
  labelers: LabelerRow[];
}

export interface MlAssistSettings {
  enabled: boolean;
  initialTrainingThreshold: number;
  retrainAfterLabels: number;
  additionalLabelsOnRejectedModel: number;
  minPrecision: number;
  minMeanIoU: number;
}

export interface AdminProject {
  id: string;
  name: string;
  type: string;
  labels: Array<{ name: string; color?: string }>;
  instructions: string;
  status: string;
  dataset: { container: string; prefix?: string };
  mlAssist: MlAssistSettings;
  batchPolicy: { size: number; leaseMinutes: number };
  incrementalRefresh: { enabled: boolean; intervalMinutes: number };
  /** The version the project was read at: sent back as If-Match, so a save never overwrites a change made since. */
  etag: string;
  counters?: { total: number; remaining: number; byState: Record<string, number> };
  backfill?: { runtimeStatus?: string; customStatus?: { phase?: string; note?: string }; failure?: string } | null;
}

export interface Member {
  userId: string;
  role: 'labeler' | 'admin';
  addedAt: string;
}

export interface Instance {
  instanceId: string;
  kind: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus?: unknown;
  failure?: string;
  links: { status: string; history: string };
}

export interface ExportView {
  id: string;
  state: 'queued' | 'running' | 'completed' | 'failed';
  format: string;
  include: string;
  requestedAt: string;
  counts?: { images: number; annotations: number };
  files?: Array<{ name: string; url: string; expiresAt: string }>;
  error?: string;
}

/** `PATCH /api/projects/{p}`: only the fields sent change (docs/api.md). */
export interface ProjectPatch {
  name?: string;
  addLabels?: Array<{ name: string; color?: string }>;
  instructions?: string;
  status?: 'active' | 'paused';
  mlAssist?: Partial<MlAssistSettings>;
  batchPolicy?: Partial<AdminProject['batchPolicy']>;
  incrementalRefresh?: Partial<AdminProject['incrementalRefresh']>;
}

export type ImportFormat = 'coco' | 'coco-results' | 'azureml-jsonl';
export type ImportFileSource = { inline: unknown } | { blobPath: string };

/** `POST /api/projects/{p}/imports`. */
export interface ImportRequestBody {
  format: ImportFormat;
  source: ImportFileSource;
  as?: 'labels' | 'prelabels';
  dataset?: ImportFileSource;
  scoreThreshold?: number;
  dryRun?: boolean;
}

export interface ImportIssue {
  kind: string;
  file: 'source' | 'dataset';
  at: string;
  message: string;
  image?: string;
}

/** The import's report: in the 200 answer, or as `report` of the 422 refusal (then with issues and no result). */
export interface ImportReport {
  importId: string;
  format: ImportFormat;
  as: 'labels' | 'prelabels';
  dryRun: boolean;
  images: number;
  boxes: number;
  crowdIgnored: number;
  issues: {
    count: number;
    byKind: Partial<Record<string, number>>;
    items: ImportIssue[];
    unknownLabels?: Record<string, number>;
  };
  result?: {
    written: number;
    unchanged: number;
    leftAlone: Partial<Record<string, number>>;
    items: Array<{ taskId: string; image: string; reason: string; detail: string }>;
  };
}

/**
 * An import from a blob path, run in the background: the 202 answer's body, then `GET …/imports/{importId}` until
 * its state is final. (The server side of this is being built alongside; the page already follows it.)
 */
export interface ImportAccepted {
  importId: string;
  state: string;
  statusUrl: string;
}

export interface ImportStatus {
  importId: string;
  format: ImportFormat;
  state: 'scanning' | 'writing' | 'completed' | 'refused' | 'failed';
  progress: { imagesScanned: number; imagesWritten: number; imagesTotal?: number };
  report?: ImportReport;
  error?: string;
}
