import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry } from '../core/registry';
import { requestUrl } from '../http/hostHeader';
import { isAuthorized, presentedKey, type HostKeys } from '../http/hostKeys';
import type { RuntimeHandler } from '../http/server';
import { flattenHeaders } from '../http/rpcHttp';
import { DurableEngine } from './engine';
import { handleDurableApi, type ApiRequest, type ApiResponse, type ManagementUrls } from './managementApi';
import { DurableStore } from './store';

export interface DurableBackendOptions {
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
  logger: Logger;
  keys: HostKeys;
  dataDir: string;
  hubName: string;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
}

const publicPrefix = '/runtime/webhooks/durabletask/';
const rpcPrefix = '/durabletask/';

function send(res: ServerResponse, r: ApiResponse): void {
  const text = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...r.headers,
  });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The Durable extension's part of the host: the engine, the `durableClient` binding data, the DurableClient's RPC
 * endpoint (loopback only, like the extension's local gRPC/HTTP endpoint) and the public management API.
 */
export class DurableBackend {
  readonly store: DurableStore;
  readonly engine: DurableEngine;
  readonly #o: DurableBackendOptions;
  #rpcServer: Server | undefined;
  #rpcBaseUrl = '';
  #publicBase = '';

  constructor(options: DurableBackendOptions) {
    this.#o = options;
    this.store = new DurableStore(options.dataDir);
    this.engine = new DurableEngine({
      store: this.store,
      registry: options.registry,
      invoker: options.invoker,
      logger: options.logger,
      maxConcurrentActivities: options.maxConcurrentActivities,
      maxConcurrentOrchestrations: options.maxConcurrentOrchestrations,
    });
    options.invoker.provideInput('durableClient', () => ({ string: JSON.stringify(this.clientBindingData()) }));
  }

  get rpcBaseUrl(): string {
    return this.#rpcBaseUrl;
  }

  /** Starts the RPC endpoint and resumes every persisted instance. `hostBaseUrl` is the host's public origin. */
  async start(hostBaseUrl: string): Promise<void> {
    this.#publicBase = `${hostBaseUrl}/runtime/webhooks/durabletask`;
    // The client rewrites management URLs to localhost:7071 unless WEBSITE_HOSTNAME names the real host.
    process.env.WEBSITE_HOSTNAME ??= new URL(hostBaseUrl).host;
    const server = createServer((req, res) => {
      this.#serveRpc(req, res).catch((err: unknown) => {
        this.#o.logger.error(`Durable RPC ${req.method} ${req.url} failed: ${String(err)}`);
        if (!res.headersSent) send(res, { status: 500, body: { Message: 'Internal error' } });
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#rpcServer = server;
    this.#rpcBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${rpcPrefix}`;
    this.engine.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    const server = this.#rpcServer;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.store.close();
  }

  /** What the extension's BindingHelper sends as `durableClient` input. */
  clientBindingData() {
    const base = this.#publicBase;
    const hub = this.#o.hubName;
    const code = this.#o.keys.systemKeys.durabletask_extension;
    const qs = `taskHub=${encodeURIComponent(hub)}&connection=Storage&code=${encodeURIComponent(code)}`;
    return {
      taskHubName: hub,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${code}`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${code}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${base}/instances/INSTANCEID?${qs}`,
        sendEventPostUri: `${base}/instances/INSTANCEID/raiseEvent/{eventName}?${qs}`,
        terminatePostUri: `${base}/instances/INSTANCEID/terminate?reason={text}&${qs}`,
        rewindPostUri: `${base}/instances/INSTANCEID/rewind?reason={text}&${qs}`,
        purgeHistoryDeleteUri: `${base}/instances/INSTANCEID?${qs}`,
        restartPostUri: `${base}/instances/INSTANCEID/restart?${qs}`,
        suspendPostUri: `${base}/instances/INSTANCEID/suspend?reason={text}&${qs}`,
        resumePostUri: `${base}/instances/INSTANCEID/resume?reason={text}&${qs}`,
      },
      baseUrl: base,
      requiredQueryStringParameters: `code=${code}`,
      rpcBaseUrl: this.#rpcBaseUrl,
      httpBaseUrl: '',
    };
  }

  readonly urls: ManagementUrls = {
    payload: (instanceId) => {
      const m = this.clientBindingData().managementUrls;
      const id = encodeURIComponent(instanceId);
      const out: Record<string, string> = { id: instanceId };
      for (const [k, v] of Object.entries(m)) if (k !== 'id') out[k] = v.replace('INSTANCEID', id);
      return out;
    },
    statusUrl: (instanceId) =>
      this.clientBindingData().managementUrls.statusQueryGetUri.replace('INSTANCEID', encodeURIComponent(instanceId)),
  };

  /** Public management API: requires the durabletask_extension system key or the master key. */
  managementHandler(): RuntimeHandler {
    return async (req, res) => {
      const path = req.url.pathname;
      if (!path.toLowerCase().startsWith(publicPrefix)) return false;
      const key = presentedKey(req.raw.headers, req.url.searchParams);
      if (!isAuthorized(this.#o.keys, 'system', key, 'durabletask_extension')) {
        send(res, { status: 401 });
        return true;
      }
      const api: ApiRequest = {
        method: req.method,
        path: path.slice(publicPrefix.length),
        query: req.url.searchParams,
        headers: req.headers,
        body: req.body,
      };
      send(res, handleDurableApi(this.engine, this.urls, api));
      return true;
    };
  }

  async #serveRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Loopback only and no URL in any answer is built from the request, so its Host header plays no part.
    const url = requestUrl(req.url ?? '/', undefined, '127.0.0.1');
    if (!url?.pathname.startsWith(rpcPrefix)) {
      send(res, { status: 404 });
      return;
    }
    const body = await readAll(req);
    const api: ApiRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.slice(rpcPrefix.length),
      query: url.searchParams,
      headers: flattenHeaders(req),
      body,
    };
    send(res, handleDurableApi(this.engine, this.urls, api));
  }
}
