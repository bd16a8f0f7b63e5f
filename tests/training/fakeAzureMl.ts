import { isDeepStrictEqual } from 'node:util';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { selfSignedCertificate } from '../helpers/selfSignedCertificate';

/**
 * Azure ML as the azureml adapter sees it: the ARM workspace, compute and job resources and the workspace's MLflow
 * runs/get, in the documented shapes (azure-rest-api-specs machinelearningservices stable/2024-10-01 examples; the
 * MLflow REST API under the workspace's mlFlowTrackingUri). HTTPS with a throwaway certificate, because the SDK's
 * bearer token policy refuses plain http; every request must carry `Authorization: Bearer <token>`.
 *
 * Tests program it: job status progressions (each GET takes the next status, the last one stays), jobs that vanish,
 * MLflow runs and failures, and injected responses (429 with Retry-After, 503s) for any route. Every request is
 * recorded for assertions.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  apiVersion: string | undefined;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Injection {
  method?: string;
  /** Matches when the request path contains this text (or matches this pattern). */
  path: string | RegExp;
  /** How many requests it answers (default 1). */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface FakeJob {
  body: { properties?: Record<string, unknown> };
  status: string;
  /** Statuses still to come, one per GET. */
  script: string[];
  createdAt: string;
}

export interface MlflowRun {
  metrics?: Record<string, number | string>;
  tags?: Record<string, string>;
}

export interface FakeAzureMlOptions {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location?: string;
  /** The bearer token requests must carry. */
  token: string;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);

function armError(res: ServerResponse, status: number, code: string, message: string, inner?: string): void {
  send(res, status, { error: { code, message, ...(inner ? { innerError: { code: inner } } : {}) } });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class FakeAzureMl {
  readonly requests: RecordedRequest[] = [];
  readonly jobs = new Map<string, FakeJob>();
  readonly computes = new Map<string, unknown>();
  readonly mlflowRuns = new Map<string, MlflowRun>();
  readonly #injections: Injection[] = [];
  readonly #server: Server;
  readonly #options: Required<FakeAzureMlOptions>;
  #url = '';
  #operations = 0;

  private constructor(server: Server, options: FakeAzureMlOptions) {
    this.#server = server;
    this.#options = { location: 'westeurope', ...options };
  }

  static async start(options: FakeAzureMlOptions): Promise<FakeAzureMl> {
    const { cert, key } = selfSignedCertificate();
    const server = createServer({ cert, key });
    const fake = new FakeAzureMl(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { code: 'FakeError', message: String(err) } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.#url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** `https://127.0.0.1:<port>`: the adapter's armEndpoint. */
  get url(): string {
    return this.#url;
  }

  get workspacePath(): string {
    const o = this.#options;
    return (
      `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${o.workspace}`
    );
  }

  /** Back to an empty workspace (no jobs, computes, runs, injections or recorded requests). */
  reset(): void {
    this.requests.length = 0;
    this.jobs.clear();
    this.computes.clear();
    this.mlflowRuns.clear();
    this.#injections.length = 0;
  }

  /** Answers the next matching request(s) with this response instead of the route. */
  inject(injection: Injection): void {
    this.#injections.push({ times: 1, ...injection });
  }

  /** The statuses a job reports on its next GETs, in order; the last one stays. */
  progress(jobName: string, statuses: string[]): void {
    const job = this.#mustJob(jobName);
    job.script = [...statuses];
  }

  setStatus(jobName: string, status: string): void {
    const job = this.#mustJob(jobName);
    job.status = status;
    job.script = [];
  }

  /** The job is gone (deleted in the workspace): GET, cancel and MLflow answer 404. */
  forget(jobName: string): void {
    this.jobs.delete(jobName);
    this.mlflowRuns.delete(jobName);
  }

  requestsTo(method: string, pathPart: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof pathPart === 'string' ? r.path.includes(pathPart) : pathPart.test(r.path)),
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  #mustJob(jobName: string): FakeJob {
    const job = this.jobs.get(jobName);
    if (!job) throw new Error(`fake: no job ${jobName}`);
    return job;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version') ?? undefined,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
    });

    if (req.headers.authorization !== `Bearer ${this.#options.token}`) {
      return armError(res, 401, 'InvalidAuthenticationToken', 'The access token is missing or invalid.');
    }
    const injection = this.#injections.find(
      (i) =>
        (i.method === undefined || i.method === method) &&
        (typeof i.path === 'string' ? url.pathname.includes(i.path) : i.path.test(url.pathname)),
    );
    if (injection) {
      injection.times = (injection.times ?? 1) - 1;
      if (injection.times <= 0) this.#injections.splice(this.#injections.indexOf(injection), 1);
      return send(res, injection.status, injection.body, injection.headers);
    }

    const ws = this.workspacePath;
    const mlflowPrefix = `/mlflow/v1.0${ws}/api/2.0/mlflow/`;
    if (url.pathname.startsWith(mlflowPrefix)) return this.#mlflow(url, url.pathname.slice(mlflowPrefix.length), res);
    if (url.pathname === ws && method === 'GET') return this.#workspace(res);
    if (url.pathname.startsWith(`${ws}/`)) {
      const rest = url.pathname
        .slice(ws.length + 1)
        .split('/')
        .map(decodeURIComponent);
      if (rest[0] === 'computes' && rest.length === 2) return this.#compute(method, rest[1]!, body, res);
      if (rest[0] === 'operations' && rest.length === 2) return send(res, 200, { status: 'InProgress' });
      if (rest[0] === 'jobs' && rest.length === 2) return this.#job(method, rest[1]!, body, res);
      if (rest[0] === 'jobs' && rest.length === 3 && rest[2] === 'cancel' && method === 'POST') {
        return this.#cancel(rest[1]!, res);
      }
    }
    return armError(res, 404, 'NoRoute', `fake Azure ML has no route for ${method} ${url.pathname}`);
  }

  #workspace(res: ServerResponse): void {
    const o = this.#options;
    const host = this.#url.replace(/^https:\/\//, '');
    send(res, 200, {
      id: this.workspacePath,
      name: o.workspace,
      type: 'Microsoft.MachineLearningServices/workspaces',
      location: o.location,
      identity: { type: 'SystemAssigned', principalId: '11111111-2222-3333-4444-555555555555' },
      properties: {
        workspaceId: '99999999-8888-7777-6666-555555555555',
        discoveryUrl: `https://${o.location}.api.azureml.ms/discovery`,
        mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${this.workspacePath}`,
        provisioningState: 'Succeeded',
      },
    });
  }

  #compute(method: string, name: string, body: unknown, res: ServerResponse): void {
    const id = `${this.workspacePath}/computes/${name}`;
    if (method === 'GET') {
      const compute = this.computes.get(name);
      if (!compute) return armError(res, 404, 'ResourceNotFound', `Compute ${name} not found`);
      return send(res, 200, compute);
    }
    if (method === 'PUT') {
      const request = body as { location?: string; properties?: Record<string, unknown> };
      const stored = {
        id,
        name,
        type: 'Microsoft.MachineLearningServices/workspaces/computes',
        location: request.location,
        properties: { ...request.properties, provisioningState: 'Creating' },
      };
      this.computes.set(name, stored);
      const operation = `${this.#url}${this.workspacePath}/operations/compute-${++this.#operations}?api-version=2024-10-01`;
      return send(res, 201, stored, { 'azure-asyncoperation': operation });
    }
    armError(res, 405, 'MethodNotAllowed', `${method} on a compute`);
  }

  #resource(name: string, job: FakeJob): unknown {
    const o = this.#options;
    return {
      id: `${this.workspacePath}/jobs/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/jobs',
      properties: {
        ...job.body.properties,
        status: job.status,
        services: {
          Tracking: { jobServiceType: 'Tracking', endpoint: `azureml://${o.location}.api.azureml.ms/mlflow/v1.0` },
          Studio: {
            jobServiceType: 'Studio',
            endpoint: `https://ml.azure.com/runs/${name}?wsid=${this.workspacePath}`,
          },
        },
      },
      systemData: { createdAt: job.createdAt, createdBy: 'fake', createdByType: 'Application' },
    };
  }

  #job(method: string, name: string, body: unknown, res: ServerResponse): void {
    const existing = this.jobs.get(name);
    if (method === 'PUT') {
      const request = body as FakeJob['body'];
      if (!existing) {
        const job: FakeJob = { body: request, status: 'NotStarted', script: [], createdAt: new Date().toISOString() };
        this.jobs.set(name, job);
        return send(res, 201, this.#resource(name, job));
      }
      // What AML answers a PUT on an existing job: the same body is an update of nothing; any difference in the
      // immutable part is refused with this UserError.
      if (isDeepStrictEqual(existing.body, request)) return send(res, 200, this.#resource(name, existing));
      return armError(
        res,
        400,
        'UserError',
        'A job with this name already exists. If you are trying to create a new job, use a different name. If you ' +
          "are trying to update an existing job, the existing job's Settings, Inputs, Outputs cannot be changed. " +
          'Only description, tags, displayName, properties, and isArchived can be updated.',
        'Immutable',
      );
    }
    if (method === 'GET') {
      if (!existing) return armError(res, 404, 'UserError', `Job ${name} not found.`);
      const next = existing.script.shift();
      if (next !== undefined) existing.status = next;
      return send(res, 200, this.#resource(name, existing));
    }
    armError(res, 405, 'MethodNotAllowed', `${method} on a job`);
  }

  #cancel(name: string, res: ServerResponse): void {
    const job = this.jobs.get(name);
    if (!job) return armError(res, 404, 'UserError', `Job ${name} not found.`);
    if (TERMINAL.has(job.status)) {
      return armError(res, 400, 'UserError', `Cannot cancel job ${name}: it is in a terminal state ${job.status}.`);
    }
    job.status = 'CancelRequested';
    job.script = ['CancelRequested', 'Canceled'];
    send(res, 202, undefined, { location: `${this.#url}${this.workspacePath}/jobs/${name}?api-version=2024-10-01` });
  }

  #mlflow(url: URL, route: string, res: ServerResponse): void {
    if (route !== 'runs/get') return send(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: route });
    const runId = url.searchParams.get('run_id') ?? '';
    const run = this.mlflowRuns.get(runId);
    if (!run) {
      return send(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run ${runId} not found` });
    }
    const now = Date.now();
    send(res, 200, {
      run: {
        info: { run_id: runId, run_uuid: runId, experiment_id: 'e1', status: 'RUNNING', start_time: now },
        data: {
          metrics: Object.entries(run.metrics ?? {}).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })),
          params: [],
          tags: Object.entries(run.tags ?? {}).map(([key, value]) => ({ key, value })),
        },
      },
    });
  }
}
