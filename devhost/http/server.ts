import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry, RegisteredFunction } from '../core/registry';
import { requestUrl } from './hostHeader';
import { isAuthorized, presentedKey, type AuthLevel, type HostKeys } from './hostKeys';
import { compileRoute, type CompiledRoute } from './routeTemplate';
import { flattenHeaders, toRpcHttpRequest, writeRpcHttpResponse } from './rpcHttp';

export interface HostRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  raw: IncomingMessage;
}

/** Handles a host-level path (webhooks, admin). Returns false when the path is not its own. */
export type RuntimeHandler = (req: HostRequest, res: ServerResponse) => Promise<boolean>;

/** Rewrites a request before it reaches an HTTP trigger (devhost's front door plugs in here). */
export type RequestFilter = (req: HostRequest, res: ServerResponse) => Promise<'continue' | 'handled'>;

interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: Set<string> | undefined;
  authLevel: AuthLevel;
}

export interface HttpHostOptions {
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
  keys: HostKeys;
  logger: Logger;
  routePrefix: string;
  maxRequestBodySize: number;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLargeError());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Discard the rest instead of destroying the socket, or the client never sees the 413.
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The host's HTTP front: runtime webhooks first, then HTTP-triggered functions under the route prefix. */
export class HttpHost {
  readonly #opts: HttpHostOptions;
  readonly #runtimeHandlers: RuntimeHandler[] = [];
  readonly #filters: RequestFilter[] = [];
  #routes: HttpRoute[] = [];
  #server: Server | undefined;
  #baseUrl = '';

  constructor(opts: HttpHostOptions) {
    this.#opts = opts;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  addRuntimeHandler(handler: RuntimeHandler): void {
    this.#runtimeHandlers.push(handler);
  }

  addRequestFilter(filter: RequestFilter): void {
    this.#filters.push(filter);
  }

  /** Builds the route table from the registered httpTrigger functions (most specific route first). */
  indexRoutes(): void {
    this.#routes = this.#opts.registry
      .byTrigger('httpTrigger')
      .map((fn) => {
        const t = fn.trigger as { route?: string; methods?: string[]; authLevel?: AuthLevel };
        const prefix = this.#opts.routePrefix ? `${this.#opts.routePrefix}/` : '';
        return {
          fn,
          route: compileRoute(prefix + (t.route ?? fn.name)),
          methods: t.methods?.length ? new Set(t.methods.map((m) => m.toUpperCase())) : undefined,
          authLevel: t.authLevel ?? 'anonymous',
        };
      })
      .sort((a, b) => b.route.specificity - a.route.specificity);
  }

  routeUrl(fn: RegisteredFunction): string {
    const t = fn.trigger as { route?: string };
    const prefix = this.#opts.routePrefix ? `/${this.#opts.routePrefix}` : '';
    return `${this.#baseUrl}${prefix}/${t.route ?? fn.name}`;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    this.indexRoutes();
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#opts.logger.error(`Unhandled error for ${req.method} ${req.url}: ${String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.#baseUrl = `http://${host === '0.0.0.0' ? 'localhost' : host === '127.0.0.1' ? 'localhost' : host}:${addr.port}`;
    return this.#baseUrl;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (raw.method ?? 'GET').toUpperCase();
    const url = requestUrl(raw.url ?? '/', raw.headers.host, new URL(this.#baseUrl).host);
    if (!url) {
      // Refused before reading the body: nothing, runtime endpoint or function, sees such a request.
      sendJson(res, 400, { error: 'Bad Request: malformed Host header or request target.' }, { connection: 'close' });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(raw, this.#opts.maxRequestBodySize);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: `Request body exceeds ${this.#opts.maxRequestBodySize} bytes.` });
        return;
      }
      throw err;
    }
    const req: HostRequest = { method, url, headers: flattenHeaders(raw), body, raw };

    for (const handler of this.#runtimeHandlers) {
      if (await handler(req, res)) return;
    }

    const path = url.pathname;
    let methodMismatch = false;
    for (const r of this.#routes) {
      const params = r.route.match(path);
      if (!params) continue;
      if (r.methods && !r.methods.has(method) && !(method === 'HEAD' && r.methods.has('GET'))) {
        methodMismatch = true;
        continue;
      }
      await this.#invokeHttp(r, req, params, res);
      return;
    }
    if (methodMismatch) {
      sendJson(res, 405, { error: `Method ${method} is not allowed for ${path}.` });
      return;
    }
    sendJson(res, 404, { error: `No function matches ${method} ${path}.` });
  }

  async #invokeHttp(r: HttpRoute, req: HostRequest, params: Record<string, string>, res: ServerResponse) {
    if (!isAuthorized(this.#opts.keys, r.authLevel, presentedKey(req.raw.headers, req.url.searchParams))) {
      res.writeHead(401, { 'content-length': 0 }).end();
      return;
    }
    for (const filter of this.#filters) {
      if ((await filter(req, res)) === 'handled') return;
    }
    const trigger = toRpcHttpRequest(req.method, req.url, req.headers, params, req.body);
    try {
      const result = await this.#opts.invoker.invoke(r.fn, { trigger });
      writeRpcHttpResponse(res, result.response.returnValue, req.method === 'HEAD');
    } catch (err) {
      this.#opts.logger.error(
        `${r.fn.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      if (!res.headersSent) res.writeHead(500, { 'content-length': 0 }).end();
    }
  }
}
