import type { DurableEngine } from './engine';
import { isTerminal } from './engine';
import { renderStatus } from './statusRender';
import type { InstanceQuery, RuntimeStatus } from './store';

export interface ApiRequest {
  method: string;
  /** Path below the API base, without leading slash: `instances/abc/raiseEvent/Approve`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Builds the per-instance management URLs (statusQueryGetUri, …) that responses and client bindings carry. */
export interface ManagementUrls {
  payload(instanceId: string): Record<string, string>;
  statusUrl(instanceId: string): string;
}

const runtimeStatuses: ReadonlySet<string> = new Set([
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Terminated',
]);

function problem(status: number, message: string): ApiResponse {
  return { status, body: { Message: message } };
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const v = query.get(name);
  return v === null ? fallback : v.toLowerCase() === 'true';
}

function bodyJson(body: Buffer): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  JSON.parse(text); // throws on invalid JSON → 400
  return text;
}

function encodeToken(pos: { createdTime: string; instanceId: string }): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

function decodeToken(token: string | undefined): InstanceQuery['after'] {
  if (!token) return undefined;
  const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as InstanceQuery['after'];
  if (!parsed || typeof parsed.createdTime !== 'string' || typeof parsed.instanceId !== 'string') {
    throw new Error('invalid continuation token');
  }
  return parsed;
}

function listQuery(query: URLSearchParams, headers: Record<string, string>, defaultTop: number): InstanceQuery {
  const statuses = (query.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of statuses) if (!runtimeStatuses.has(s)) throw new RangeError(`Unknown runtimeStatus '${s}'.`);
  const top = Number(query.get('top') ?? defaultTop);
  if (!Number.isInteger(top) || top <= 0) throw new RangeError('top must be a positive integer.');
  return {
    createdTimeFrom: query.get('createdTimeFrom') ?? undefined,
    createdTimeTo: query.get('createdTimeTo') ?? undefined,
    runtimeStatus: statuses.length ? (statuses as RuntimeStatus[]) : undefined,
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
    after: decodeToken(headers['x-ms-continuation-token']),
    top,
  };
}

/**
 * The Durable extension's HTTP API (HttpApiHandler): the same routes serve the public management API under
 * /runtime/webhooks/durabletask and the DurableClient's RPC endpoint (`rpcBaseUrl`).
 */
export function handleDurableApi(engine: DurableEngine, urls: ManagementUrls, req: ApiRequest): ApiResponse {
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method.toUpperCase();
  try {
    if (parts[0] === 'orchestrators' && method === 'POST' && (parts.length === 2 || parts.length === 3)) {
      return startNew(engine, urls, parts[1]!, parts[2], req);
    }
    if (parts[0] !== 'instances') return problem(404, 'Not found.');
    if (parts.length === 1) {
      if (method === 'GET') return list(engine, req);
      if (method === 'DELETE') return purgeMany(engine, req);
      return problem(405, 'Method not allowed.');
    }
    const instanceId = parts[1]!;
    if (parts.length === 2) {
      if (method === 'GET') return getStatus(engine, urls, instanceId, req);
      if (method === 'DELETE') {
        const deleted = engine.purge(instanceId);
        return deleted ? { status: 200, body: { instancesDeleted: deleted } } : problem(404, 'No instance to purge.');
      }
      return problem(405, 'Method not allowed.');
    }
    const op = parts[2]!;
    if (method !== 'POST') return problem(405, 'Method not allowed.');
    if (op === 'raiseEvent' && parts.length === 4) {
      const result = engine.raiseEvent(instanceId, parts[3]!, bodyJson(req.body));
      return signalResponse(result, instanceId);
    }
    if (op === 'terminate' && parts.length === 3) {
      return signalResponse(engine.terminate(instanceId, req.query.get('reason') ?? ''), instanceId);
    }
    if (['rewind', 'suspend', 'resume', 'restart'].includes(op)) {
      return problem(501, `devhost does not implement '${op}'.`);
    }
    return problem(404, 'Not found.');
  } catch (err) {
    if (
      err instanceof SyntaxError ||
      err instanceof RangeError ||
      (err instanceof Error && /token/.test(err.message))
    ) {
      return problem(400, err.message);
    }
    throw err;
  }
}

function signalResponse(result: 'accepted' | 'notFound' | 'gone', instanceId: string): ApiResponse {
  if (result === 'accepted') return { status: 202 };
  if (result === 'gone') return problem(410, `Instance '${instanceId}' is in a completed or failed state.`);
  return problem(404, `No instance with ID '${instanceId}' found.`);
}

function startNew(
  engine: DurableEngine,
  urls: ManagementUrls,
  name: string,
  instanceId: string | undefined,
  req: ApiRequest,
): ApiResponse {
  const input = bodyJson(req.body);
  const result = engine.startNew(name, instanceId, input, req.query.get('version') ?? undefined);
  if (!result.ok) {
    return problem(409, `An instance with ID '${result.instance.instanceId}' already exists and is not completed.`);
  }
  const id = result.instance.instanceId;
  return { status: 202, headers: { location: urls.statusUrl(id), 'retry-after': '10' }, body: urls.payload(id) };
}

function getStatus(engine: DurableEngine, urls: ManagementUrls, instanceId: string, req: ApiRequest): ApiResponse {
  const row = engine.store.getInstance(instanceId);
  if (!row) return problem(404, `No instance with ID '${instanceId}' found.`);
  const showHistory = flag(req.query, 'showHistory', false);
  const options = {
    showHistory,
    showHistoryOutput: flag(req.query, 'showHistoryOutput', false),
    showInput: flag(req.query, 'showInput', true),
  };
  const history = showHistory ? engine.store.loadHistory(instanceId) : undefined;
  const body = renderStatus(row, history, options);
  if (isTerminal(row.runtimeStatus)) {
    const fail = row.runtimeStatus === 'Failed' && flag(req.query, 'returnInternalServerErrorOnFailure', false);
    return { status: fail ? 500 : 200, body };
  }
  return { status: 202, headers: { location: urls.statusUrl(instanceId), 'retry-after': '5' }, body };
}

function list(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const q = listQuery(req.query, req.headers, 100);
  const showInput = flag(req.query, 'showInput', false);
  const rows = engine.store.queryInstances({ ...q, top: q.top + 1 });
  const page = rows.slice(0, q.top);
  const headers: Record<string, string> = {};
  if (rows.length > q.top) {
    const last = page[page.length - 1]!;
    headers['x-ms-continuation-token'] = encodeToken({ createdTime: last.createdTime, instanceId: last.instanceId });
  }
  const options = { showHistory: false, showHistoryOutput: false, showInput };
  return { status: 200, headers, body: page.map((r) => renderStatus(r, undefined, options)) };
}

function purgeMany(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const q = listQuery(req.query, {}, 1000);
  let deleted = 0;
  let after: InstanceQuery['after'];
  for (;;) {
    const rows = engine.store.queryInstances({ ...q, after });
    for (const r of rows) if (isTerminal(r.runtimeStatus)) deleted += engine.purge(r.instanceId);
    if (rows.length < q.top) break;
    const last = rows[rows.length - 1]!;
    after = { createdTime: last.createdTime, instanceId: last.instanceId };
  }
  return deleted ? { status: 200, body: { instancesDeleted: deleted } } : problem(404, 'No instances matched.');
}
