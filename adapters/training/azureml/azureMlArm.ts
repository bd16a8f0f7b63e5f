import { AzureMachineLearningWorkspaces, type Workspace } from '@azure/arm-machinelearning';
import {
  createHttpHeaders,
  createPipelineRequest,
  type HttpMethods,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { ARM_SCOPE, AZURE_ML_API_VERSION, type AzureMlBackendConfig } from './azureMlConfig';
import { errorFromResponse, errorFromSdk } from './azureMlErrors';
import { boundedRetryPolicy } from './retryPolicy';

/** core-rest-pipeline's name for the retry policy createPipelineFromOptions adds (not exported by the package). */
const SDK_DEFAULT_RETRY_POLICY = 'defaultRetryPolicy';

export interface RawResponse {
  status: number;
  body: unknown;
  response: PipelineResponse;
}

/**
 * The workspace as the adapter talks to it: the SDK client for the calls it serializes correctly, and raw JSON on the
 * same authenticated pipeline for job bodies (arm-machinelearning 2.1.1 drops most fields of AutoML and command job
 * bodies when serializing, azure-sdk-for-js#29328). One pipeline means one token cache, one api-version and one
 * retry policy for both.
 */
export class AzureMlArm {
  readonly client: AzureMachineLearningWorkspaces;
  readonly endpoint: string;
  readonly workspacePath: string;
  readonly #config: AzureMlBackendConfig;
  #workspace: Promise<Workspace> | undefined;

  constructor(config: AzureMlBackendConfig) {
    this.#config = config;
    this.endpoint = (config.armEndpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    // $host is what the operation URL templates use and endpoint what the client's own requests use: set both. The
    // token scope is ARM's whatever the endpoint (the SDK would otherwise ask for `${endpoint}/.default`).
    this.client = new AzureMachineLearningWorkspaces(config.credential, config.subscriptionId, {
      endpoint: this.endpoint,
      $host: this.endpoint,
      apiVersion: AZURE_ML_API_VERSION,
      credentialScopes: ARM_SCOPE,
    });
    this.client.pipeline.removePolicy({ name: SDK_DEFAULT_RETRY_POLICY });
    this.client.pipeline.addPolicy(boundedRetryPolicy(config.retry), { phase: 'Retry' });
    this.workspacePath =
      `/subscriptions/${encodeURIComponent(config.subscriptionId)}` +
      `/resourceGroups/${encodeURIComponent(config.resourceGroup)}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(config.workspace)}`;
  }

  /** ARM id of a workspace child (`computes/<name>`, `jobs/<name>`). */
  resourceId(child: string): string {
    return `${this.workspacePath}/${child}`;
  }

  jobUrl(jobName: string, action = ''): string {
    return `${this.endpoint}${this.resourceId(`jobs/${encodeURIComponent(jobName)}`)}${action}?api-version=${AZURE_ML_API_VERSION}`;
  }

  /** The workspace (location, MLflow tracking URI), read once per backend; a failed read is tried again next time. */
  workspace(): Promise<Workspace> {
    this.#workspace ??= this.client.workspaces
      .get(this.#config.resourceGroup, this.#config.workspace)
      .catch((err: unknown) => {
        this.#workspace = undefined;
        throw errorFromSdk(`Azure ML workspace '${this.#config.workspace}'`, err);
      });
    return this.#workspace;
  }

  /** A JSON request on the client's pipeline; any status comes back (callers decide what 404 or 409 mean). */
  async send(method: HttpMethods, url: string, body?: unknown): Promise<RawResponse> {
    const request = createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders({ accept: 'application/json', 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const response = await this.client.sendRequest(request);
    return { status: response.status, body: parseJson(response.bodyAsText), response };
  }

  /** Like send, but a non-2xx status is an AzureMlError with AML's code and message. */
  async sendOk(what: string, method: HttpMethods, url: string, body?: unknown): Promise<RawResponse> {
    const result = await this.send(method, url, body);
    if (result.status < 200 || result.status > 299) throw errorFromResponse(what, result.response);
    return result;
  }
}

function parseJson(text: string | undefined | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
