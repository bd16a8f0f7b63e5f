/**
 * Port for the dependency checks behind `GET /api/health`. Each backing service (blob storage, the label store, …)
 * gets an adapter implementing `HealthProbe`; the function only runs them and maps the report to HTTP.
 */

export interface HealthCheckResult {
  ok: boolean;
  /** Wall-clock time of the check, when one was made. */
  latencyMs?: number;
  /** Why the check failed; short, with no secrets (never a connection string or key). */
  error?: string;
  /** Which implementation answered, e.g. `azure-blob`, `sqlite`, `cosmos`. */
  kind?: string;
}

export interface HealthProbe {
  /** Key under `checks` in the report. */
  readonly name: string;
  /** Must honour `signal`: the caller aborts it when the check's time is up. */
  check(signal: AbortSignal): Promise<HealthCheckResult>;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  checks: Record<string, HealthCheckResult>;
}

/**
 * A probe over a dependency's own cheap round trip (e.g. `LabelStore.ping`). `connect` runs inside the check, so a
 * dependency that cannot even be constructed (bad configuration) is reported as a failed check, not a 500.
 */
export function pingProbe(name: string, connect: () => { kind: string; ping(): Promise<void> }): HealthProbe {
  return {
    name,
    async check() {
      const started = performance.now();
      let kind: string | undefined;
      try {
        const target = connect();
        kind = target.kind;
        await target.ping();
        return { ok: true, kind, latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        const latencyMs = Math.round(performance.now() - started);
        return { ok: false, ...(kind === undefined ? {} : { kind }), latencyMs, error: describeError(err) };
      }
    },
  };
}

/** Runs every probe concurrently; a probe that throws or overruns `timeoutMs` counts as failed. */
export async function runHealthChecks(probes: readonly HealthProbe[], timeoutMs: number): Promise<HealthReport> {
  const results = await Promise.all(probes.map((probe) => runOne(probe, timeoutMs)));
  const checks: Record<string, HealthCheckResult> = {};
  probes.forEach((probe, i) => (checks[probe.name] = results[i]!));
  return { status: results.every((r) => r.ok) ? 'ok' : 'unhealthy', checks };
}

async function runOne(probe: HealthProbe, timeoutMs: number): Promise<HealthCheckResult> {
  const controller = new AbortController();
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<HealthCheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, latencyMs: elapsed(started), error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      probe.check(controller.signal).catch((err: unknown): HealthCheckResult => ({
        ok: false,
        latencyMs: elapsed(started),
        error: describeError(err),
      })),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/**
 * A short, single-line description of a failure: the error code or HTTP status, then the first line of the
 * message, capped so reports stay small.
 */
export function describeError(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; statusCode?: unknown };
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n', 1)[0]!.trim();
  const prefix = [
    typeof e.statusCode === 'number' ? `HTTP ${e.statusCode}` : undefined,
    typeof e.code === 'string' && !firstLine.includes(e.code) ? e.code : undefined,
  ].filter((p) => p !== undefined);
  const name = err instanceof Error ? err.name : 'Error';
  const text = prefix.length > 0 ? `${prefix.join(' ')}${firstLine ? `: ${firstLine}` : ''}` : firstLine || name;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
