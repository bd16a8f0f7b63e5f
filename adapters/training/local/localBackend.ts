import type {
  InferenceJobRequest,
  ProviderJob,
  ProviderJobStatus,
  TrainingBackend,
  TrainingJobRequest,
  ImagePrediction,
} from '../../../shared/ports/trainingBackend';
import type { TrainingFiles } from '../../../shared/ports/trainingFiles';
import {
  cancelFile,
  isTerminal,
  jobFile,
  localJobId,
  predictionsFolder,
  staleAfterMs,
  statusFile,
  type LocalJobSpec,
  type LocalJobStatus,
  type LocalTrainerOptions,
} from './localJobs';

/** What starts runners: RunnerSupervisor in the app, something in-process in tests. */
export interface JobRunner {
  ensure(jobId: string): void;
  has(jobId: string): boolean;
}

/**
 * The built-in CPU trainer as a TrainingBackend: jobs are records in the training container (localJobs.ts), run by a
 * low-priority runner process. Starting is idempotent (job.json is written once per run and kind); a job whose runner
 * went away (host restart, crash) has a stale heartbeat and is started over on the next status check, so a poll
 * after a restart picks the work up again rather than waiting forever.
 */
export class LocalTrainingBackend implements TrainingBackend {
  readonly provider = 'local' as const;

  constructor(
    private readonly files: TrainingFiles,
    private readonly runner: JobRunner,
    private readonly trainer: LocalTrainerOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  datasetImageUrl(_images: { connectionSetting: string; container: string }, blobPath: string): string {
    return blobPath;
  }

  startTraining(request: TrainingJobRequest): Promise<ProviderJob> {
    return this.#start(localJobId(request.projectId, request.runId, 'train'), {
      kind: 'train',
      request,
      trainer: this.trainer,
    });
  }

  startInference(request: InferenceJobRequest): Promise<ProviderJob> {
    return this.#start(localJobId(request.projectId, request.runId, 'infer'), {
      kind: 'infer',
      request,
      trainer: this.trainer,
    });
  }

  async #start(jobId: string, spec: LocalJobSpec): Promise<ProviderJob> {
    await this.files.writeIfAbsent(jobFile(jobId), JSON.stringify(spec), 'application/json');
    this.runner.ensure(jobId);
    return { jobId };
  }

  async status(jobId: string): Promise<ProviderJobStatus | undefined> {
    const status = await this.#readStatus(jobId);
    if (!status) {
      if (!(await this.files.read(jobFile(jobId)))) return undefined;
      this.runner.ensure(jobId); // written but never started here (a host restart between the two)
      return { state: 'queued' };
    }
    if (isTerminal(status)) return publicStatus(status);
    const silentFor = this.now().getTime() - Date.parse(status.heartbeatAt);
    if (silentFor > staleAfterMs && !this.runner.has(jobId)) this.runner.ensure(jobId);
    return publicStatus(status);
  }

  async cancel(jobId: string): Promise<void> {
    const status = await this.#readStatus(jobId);
    if (status && isTerminal(status)) return;
    await this.files.write(cancelFile(jobId), 'canceled', 'text/plain');
    // A job no runner works on cannot notice the request: let one start, see it, and end the job as canceled.
    if ((await this.files.read(jobFile(jobId))) && !this.runner.has(jobId)) this.runner.ensure(jobId);
  }

  async predictionParts(inferenceJobId: string): Promise<string[]> {
    const { projectId, runId } = parseJobId(inferenceJobId);
    return (await this.files.list(predictionsFolder(projectId, runId))).filter((p) => p.endsWith('.jsonl'));
  }

  async readPredictions(_inferenceJobId: string, part: string): Promise<ImagePrediction[]> {
    const body = (await this.files.read(part))?.toString('utf8');
    if (body === undefined) throw new Error(`prediction part ${part} does not exist`);
    return body
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ImagePrediction);
  }

  async #readStatus(jobId: string): Promise<LocalJobStatus | undefined> {
    const body = await this.files.read(statusFile(jobId));
    return body ? (JSON.parse(body.toString('utf8')) as LocalJobStatus) : undefined;
  }
}

function publicStatus(s: LocalJobStatus): ProviderJobStatus {
  return {
    state: s.state,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.metrics ? { metrics: s.metrics } : {}),
    ...(s.progress !== undefined ? { progress: s.progress } : {}),
  };
}

function parseJobId(jobId: string): { projectId: string; runId: string } {
  const [projectId, runId] = jobId.split('/');
  if (!projectId || !runId) throw new Error(`not a local job id: ${jobId}`);
  return { projectId, runId };
}
