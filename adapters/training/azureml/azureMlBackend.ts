import type {
  ImagePrediction,
  InferenceJobRequest,
  ProviderJob,
  ProviderJobState,
  ProviderJobStatus,
  TrainingBackend,
  TrainingJobRequest,
} from '../../../shared/ports/trainingBackend';
import { AzureMlArm, type RawResponse } from './azureMlArm';
import type { AzureMlBackendConfig } from './azureMlConfig';
import { AzureMlError, errorFromResponse, errorFromSdk, isNotFound } from './azureMlErrors';
import { ensureCompute } from './computeCluster';
import { datastoreUri, inferenceJobBody, scoringScriptPath, trainingJobBody } from './jobBodies';
import { azureMlJobName } from './jobNames';
import { jobState } from './jobStatus';
import { mlflowMetrics } from './mlflowMetrics';
import { parseManifest, parsePredictionPart, taskIdLookup } from './predictions';
import { scoringScript } from './scoringScript';

/** Where a prediction job reads its manifest and writes its parts, as paths of the training container. */
interface PredictionLocations {
  folder: string;
  manifest?: string;
}

interface JobBody {
  properties?: {
    status?: string;
    services?: Record<string, { endpoint?: string } | null>;
    inputs?: Record<string, { uri?: string } | null>;
    outputs?: Record<string, { uri?: string } | null>;
  };
}

const terminal: ReadonlySet<ProviderJobState> = new Set(['completed', 'failed', 'canceled']);

/** Part names are file names within the predictions folder; nothing that could leave it. */
const PART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.jsonl$/;

/** The studio page of a job, as AML reports it among the job's services. */
function studioLink(body: unknown): string | undefined {
  const endpoint = (body as JobBody | undefined)?.properties?.services?.Studio?.endpoint;
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
}

/**
 * TrainingBackend on Azure ML: AutoML ImageObjectDetection (or a command job) to train, a command job running
 * scoring/score.py with the trained MLflow model to prelabel. Jobs are named after (project, run, kind) and created
 * with a PUT, so starting twice finds the first job. State comes from ARM's job resource, metrics from the workspace's
 * MLflow endpoint, predictions from the training container (the trainingDatastore) through `files`.
 */
export class AzureMlBackend implements TrainingBackend {
  readonly provider = 'azureml' as const;
  readonly #config: AzureMlBackendConfig;
  readonly #arm: AzureMlArm;
  readonly #log: (message: string) => void;
  #compute: Promise<void> | undefined;
  /** Job outputs do not change once a job exists: one GET per prediction job and backend. */
  readonly #locations = new Map<string, Promise<PredictionLocations>>();

  constructor(config: AzureMlBackendConfig) {
    this.#config = config;
    this.#arm = new AzureMlArm(config);
    this.#log = config.log ?? ((message) => console.warn(message));
  }

  /** Dataset lines name images on the images datastore (registered by infra/ on the images container). */
  datasetImageUrl(_images: { connectionSetting: string; container: string }, blobPath: string): string {
    return datastoreUri(this.#config.imagesDatastore, blobPath, false);
  }

  async startTraining(request: TrainingJobRequest): Promise<ProviderJob> {
    const jobName = azureMlJobName(request.projectId, request.runId, 'train');
    await this.#ensureCompute();
    return this.#createJob(jobName, trainingJobBody(this.#config, request, this.#computeId()));
  }

  async startInference(request: InferenceJobRequest): Promise<ProviderJob> {
    const jobName = azureMlJobName(request.projectId, request.runId, 'predict');
    await this.#ensureCompute();
    // The script travels with the run (a job input from the training container), so no code asset has to be
    // registered. writeIfAbsent: a retried start keeps the script the first attempt's job reads.
    await this.#config.files.writeIfAbsent(
      scoringScriptPath(request.projectId, request.runId),
      scoringScript(),
      'text/x-python',
    );
    return this.#createJob(jobName, inferenceJobBody(this.#config, request, this.#computeId()));
  }

  async status(jobId: string): Promise<ProviderJobStatus | undefined> {
    const job = await this.#job(jobId);
    if (!job) return undefined;
    const result: ProviderJobStatus = { state: job.state };
    if (job.state === 'failed' || job.state === 'canceled') {
      // ARM's job resource carries no error text: the reason names the status and where the logs are.
      result.reason = `Azure ML job ${jobId} ${job.amlStatus ?? job.state}${job.link ? `; details: ${job.link}` : ''}`;
    }
    if (job.state !== 'queued') {
      try {
        const metrics = await mlflowMetrics(this.#arm, jobId);
        if (metrics && Object.keys(metrics).length > 0) result.metrics = metrics;
      } catch (err) {
        // Metrics are for the record; a state must not wait for them.
        this.#log(`Azure ML metrics of job ${jobId} not read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return result;
  }

  async cancel(jobId: string): Promise<void> {
    const response = await this.#arm.send('POST', this.#arm.jobUrl(jobId, '/cancel'));
    if (response.status >= 200 && response.status < 300) return;
    if (response.status === 404) return;
    // AML refuses to cancel a job that has ended; that job is left as it is, as the port asks.
    const job = await this.#job(jobId);
    if (!job || terminal.has(job.state)) return;
    throw errorFromResponse(`Canceling Azure ML job '${jobId}'`, response.response);
  }

  async predictionParts(inferenceJobId: string): Promise<string[]> {
    const { folder } = await this.#predictionLocations(inferenceJobId);
    const names = await this.#config.files.list(folder);
    return names
      .map((name) => name.slice(folder.length))
      .filter((name) => PART_NAME.test(name))
      .sort();
  }

  async readPredictions(inferenceJobId: string, part: string): Promise<ImagePrediction[]> {
    if (!PART_NAME.test(part)) throw new Error(`Not a prediction part name: ${JSON.stringify(part)}`);
    const locations = await this.#predictionLocations(inferenceJobId);
    const body = await this.#config.files.read(locations.folder + part);
    if (!body) throw new Error(`Prediction part ${part} of Azure ML job ${inferenceJobId} is missing`);
    const text = body.toString('utf8');
    let parsed = parsePredictionPart(text);
    // Lines that name only their image (AutoML's own output) are matched to tasks through the job's manifest.
    if (parsed.skipped.length > 0 && locations.manifest) {
      const manifest = await this.#config.files.read(locations.manifest);
      if (manifest) parsed = parsePredictionPart(text, taskIdLookup(parseManifest(manifest.toString('utf8'))));
    }
    if (parsed.skipped.length > 0) {
      this.#log(
        `Azure ML job ${inferenceJobId} part ${part}: ${parsed.skipped.length} line(s) skipped ` +
          `(${parsed.skipped.slice(0, 3).join('; ')})`,
      );
    }
    return parsed.predictions;
  }

  #computeId(): string {
    return this.#arm.resourceId(`computes/${encodeURIComponent(this.#config.compute)}`);
  }

  /** The cluster is checked once per backend (it is not deleted under a running app); a failed check is retried. */
  #ensureCompute(): Promise<void> {
    this.#compute ??= ensureCompute(this.#arm, this.#config).catch((err: unknown) => {
      this.#compute = undefined;
      throw err;
    });
    return this.#compute;
  }

  /**
   * PUT the job. A new name gives 201; the same body again gives 200. A job of that name that exists with other
   * immutable fields is refused ("A job with this name already exists ... Only description, tags, displayName,
   * properties, and isArchived can be updated", a 400 UserError, 409 in some versions): the job of this run was
   * started before, by an earlier attempt or an older app version, and that job is the answer.
   */
  async #createJob(jobName: string, body: unknown): Promise<ProviderJob> {
    const put = await this.#arm.send('PUT', this.#arm.jobUrl(jobName), body);
    if (put.status >= 200 && put.status < 300) return this.#providerJob(jobName, put);
    if (put.status === 400 || put.status === 409) {
      const existing = await this.#arm.send('GET', this.#arm.jobUrl(jobName));
      if (existing.status === 200) return this.#providerJob(jobName, existing);
    }
    throw errorFromResponse(`Starting Azure ML job '${jobName}'`, put.response);
  }

  #providerJob(jobName: string, response: RawResponse): ProviderJob {
    const link = studioLink(response.body);
    return link ? { jobId: jobName, link } : { jobId: jobName };
  }

  /** The job's state through the SDK (its status deserializes fine); undefined when AML does not know the job. */
  async #job(jobId: string): Promise<{ state: ProviderJobState; amlStatus?: string; link?: string } | undefined> {
    try {
      const job = await this.#arm.client.jobs.get(this.#config.resourceGroup, this.#config.workspace, jobId);
      const amlStatus = job.properties.status;
      const link = job.properties.services?.['Studio']?.endpoint;
      return { state: jobState(amlStatus), amlStatus, ...(link ? { link } : {}) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw errorFromSdk(`Azure ML job '${jobId}'`, err);
    }
  }

  /**
   * The job's predictions folder and manifest, read back from the job itself (raw GET: the SDK's deserializer drops
   * input and output URIs like its serializer does). Both must be in the training datastore, which is the
   * container `files` reads.
   */
  #predictionLocations(jobId: string): Promise<PredictionLocations> {
    let found = this.#locations.get(jobId);
    if (!found) {
      found = this.#readLocations(jobId).catch((err: unknown) => {
        this.#locations.delete(jobId);
        throw err;
      });
      this.#locations.set(jobId, found);
    }
    return found;
  }

  async #readLocations(jobId: string): Promise<PredictionLocations> {
    const job = (await this.#arm.sendOk(`Azure ML job '${jobId}'`, 'GET', this.#arm.jobUrl(jobId))).body as JobBody;
    const outputUri = job.properties?.outputs?.['predictions']?.uri;
    const folder = outputUri ? this.#trainingPath(outputUri) : undefined;
    if (folder === undefined) {
      throw new AzureMlError(
        undefined,
        'NoPredictions',
        `Azure ML job '${jobId}' has no predictions output in datastore '${this.#config.trainingDatastore}'`,
      );
    }
    const manifestUri = job.properties?.inputs?.['manifest']?.uri;
    const manifest = manifestUri ? this.#trainingPath(manifestUri) : undefined;
    return { folder: folder.endsWith('/') ? folder : `${folder}/`, ...(manifest ? { manifest } : {}) };
  }

  /** `azureml://datastores/<trainingDatastore>/paths/<p>` → `<p>`; undefined for any other location. */
  #trainingPath(uri: string): string | undefined {
    const match = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.+)$/.exec(uri);
    return match && match[1] === this.#config.trainingDatastore ? match[2] : undefined;
  }
}
