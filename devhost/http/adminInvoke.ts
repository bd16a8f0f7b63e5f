import { hostname } from 'node:os';
import type { ServerResponse } from 'node:http';
import type { RpcTypedData } from '../core/coreTypes';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry, RegisteredFunction } from '../core/registry';
import { neverMs } from '../timers/scheduleStatus';
import { timerTriggerData, timerTriggerOptions } from '../timers/timerPayload';
import { currentTimerSchedule, runTimerAfterCurrent } from '../timers/timerRuns';
import { parseTimerSchedule, resolveTimeZone } from '../timers/timerSchedule';
import { isAuthorized, presentedKey, type HostKeys } from './hostKeys';
import { sendJson, type HostRequest, type RuntimeHandler } from './server';

export interface AdminInvokeOptions {
  registry: FunctionRegistry;
  invoker: Pick<FunctionInvoker, 'invoke'>;
  keys: HostKeys;
  logger: Logger;
  /** For `invoke_url_template` of HTTP functions (host.json `extensions.http.routePrefix`). */
  routePrefix?: string;
}

// Same host version devhost reports to the worker through @azure/functions-core.
const hostVersion = '4.1040.0';
const startedAt = new Date();

/** Triggers the admin API cannot start: HTTP functions have a URL, durable ones are started by the durable client. */
const notInvocableHere: Record<string, string> = {
  httptrigger: 'call its HTTP route instead',
  orchestrationtrigger: 'start it with the durable client (POST /runtime/webhooks/durabletask/orchestrators/{name})',
  entitytrigger: 'signal it with the durable client',
};

/**
 * The host's admin API subset for local work:
 * - `POST /admin/functions/{name}` with `{"input":"..."}` runs a non-HTTP function now (202; "manually run a
 *   non HTTP-triggered function"). Timers get a timer payload and ignore the input; other triggers get the input
 *   string as their trigger data.
 * - `GET /admin/functions[/{name}]` lists functions with their bindings; `GET /admin/host/status` reports the host.
 * Everything here needs the master key, as on Azure.
 */
export function adminInvokeHandler(opts: AdminInvokeOptions): RuntimeHandler {
  return async (req, res) => {
    const path = req.url.pathname.replace(/\/+$/, '');
    const lower = path.toLowerCase();
    const fnMatch = /^\/admin\/functions\/([^/]+)$/i.exec(path);
    if (lower !== '/admin/host/status' && lower !== '/admin/functions' && !fnMatch) return false;

    if (!isAuthorized(opts.keys, 'admin', presentedKey(req.raw.headers, req.url.searchParams))) {
      res.writeHead(401, { 'content-length': 0 }).end();
      return true;
    }
    if (lower === '/admin/host/status') {
      if (!allowMethod(req, res, ['GET'])) return true;
      sendJson(res, 200, hostStatus());
    } else if (lower === '/admin/functions') {
      if (!allowMethod(req, res, ['GET'])) return true;
      const functions = opts.registry.all().sort((a, b) => a.name.localeCompare(b.name));
      sendJson(
        res,
        200,
        functions.map((fn) => describeFunction(fn, req, opts.routePrefix ?? 'api')),
      );
    } else {
      if (!allowMethod(req, res, ['GET', 'POST'])) return true;
      const name = safeDecode(fnMatch![1]!);
      if (req.method === 'POST') invokeNow(opts, name, req, res);
      else {
        const fn = opts.registry.find(name);
        if (fn) sendJson(res, 200, describeFunction(fn, req, opts.routePrefix ?? 'api'));
        else sendJson(res, 404, { error: `Function '${name}' does not exist.` });
      }
    }
    return true;
  };
}

function invokeNow(opts: AdminInvokeOptions, name: string, req: HostRequest, res: ServerResponse): void {
  // The host binds the body to FunctionInvocation before looking the function up, so a bad body is 400 first.
  const input = parseInvocationBody(req.body);
  if (input === undefined) {
    sendJson(res, 400, { error: 'The body must be a JSON object such as {"input":"..."}.' });
    return;
  }
  const fn = opts.registry.find(name);
  if (!fn) {
    sendJson(res, 404, { error: `Function '${name}' does not exist.` });
    return;
  }
  const refusal = notInvocableHere[fn.trigger.type.toLowerCase()];
  if (refusal) {
    sendJson(res, 400, { error: `'${fn.name}' is a ${fn.trigger.type} function: ${refusal}.` });
    return;
  }
  let trigger: RpcTypedData;
  try {
    trigger = fn.trigger.type.toLowerCase() === 'timertrigger' ? manualTimerData(fn) : { string: input ?? '' };
  } catch (err) {
    sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    return;
  }

  opts.logger.info(
    `Executing 'Functions.${fn.name}' (Reason='This function was programmatically called via the host APIs.')`,
  );
  const run = () => opts.invoker.invoke(fn, { trigger });
  // A timer run waits for a scheduled run in flight: invocations of one timer function never overlap.
  const invocation = fn.trigger.type.toLowerCase() === 'timertrigger' ? runTimerAfterCurrent(fn, run) : run();
  void invocation.catch((err: unknown) =>
    opts.logger.error(`${fn.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  res.writeHead(202, { 'content-length': 0 }).end();
}

/** `{"input": ...}` → the input string (null when absent); undefined when the body is not such an object. */
function parseInvocationBody(body: Buffer): string | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const input = (parsed as { input?: unknown }).input;
  if (input === undefined || input === null) return null;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** What the host's timer binding builds for a manual run: the monitor's current status, never past due. */
function manualTimerData(fn: RegisteredFunction): RpcTypedData {
  const current = currentTimerSchedule(fn);
  if (current) return timerTriggerData(current.status, false, current.adjustForDST);
  const schedule = parseTimerSchedule(timerTriggerOptions(fn).schedule, resolveTimeZone());
  const now = Date.now();
  return timerTriggerData(
    { last: neverMs, next: schedule.next(now), lastUpdated: neverMs },
    false,
    schedule.adjustForDST,
  );
}

function hostStatus() {
  return {
    id: `devhost-${hostname().toLowerCase()}`,
    state: 'Running',
    version: hostVersion,
    versionDetails: `${hostVersion} (devhost)`,
    platformVersion: '',
    instanceId: `${hostname()}-${process.pid}`,
    computerName: hostname(),
    processUptime: Date.now() - startedAt.getTime(),
    functionAppContentEditingState: 'NotAllowed',
  };
}

/** A subset of the host's FunctionMetadataResponse, plus `trigger` (the trigger binding type) for convenience. */
function describeFunction(fn: RegisteredFunction, req: HostRequest, routePrefix: string) {
  // req.url's origin comes from a Host header the HTTP host has already checked.
  const base = req.url.origin;
  const bindings = Object.entries(fn.metadata.bindings ?? {}).map(([key, binding]) => ({ ...binding, name: key }));
  const route = (fn.trigger as { route?: string }).route ?? fn.name;
  const prefix = routePrefix ? `/${routePrefix}` : '';
  return {
    name: fn.name,
    trigger: fn.trigger.type,
    href: `${base}/admin/functions/${encodeURIComponent(fn.name)}`,
    invoke_url_template: fn.trigger.type.toLowerCase() === 'httptrigger' ? `${base}${prefix}/${route}` : null,
    language: 'node',
    config: { bindings },
    isDisabled: false,
    isDirect: true,
    isProxy: false,
  };
}

function allowMethod(req: HostRequest, res: ServerResponse, methods: string[]): boolean {
  if (methods.includes(req.method)) return true;
  sendJson(res, 405, { error: `Method ${req.method} is not allowed.` }, { allow: methods.join(', ') });
  return false;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
