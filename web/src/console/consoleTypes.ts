/**
 * The owner console's reading of the admin API (docs/api.md): the dashboard (shared/domain/dashboard.ts), members,
 * training runs, exports and orchestrations. Kept apart from the server's types, which import Node modules;
 * tests/web/webTypes.test.ts keeps the dashboard and export view in step with them.
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

export interface AdminProject {
  id: string;
  name: string;
  type: string;
  labels: Array<{ name: string; color?: string }>;
  instructions: string;
  status: string;
  dataset: { container: string; prefix?: string };
  mlAssist: { enabled: boolean; initialTrainingThreshold: number };
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
