import type { RunningDevhost } from './devhost';

export interface OrchestrationStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Array<Record<string, unknown>>;
}

/** Talks to devhost's public Durable management API with the durabletask_extension system key. */
export function durableApi(host: RunningDevhost) {
  const key = host.keys.systemKeys.durabletask_extension;
  const base = `${host.baseUrl}/runtime/webhooks/durabletask`;

  async function status(instanceId: string, query = ''): Promise<{ code: number; body: OrchestrationStatus }> {
    const res = await fetch(`${base}/instances/${encodeURIComponent(instanceId)}?code=${key}${query}`);
    return { code: res.status, body: (await res.json()) as OrchestrationStatus };
  }

  return {
    base,
    key,
    status,
    /** Starts through the app's HTTP starter (the real DurableClient.startNew). */
    async start(name: string, input?: unknown, instanceId?: string): Promise<string> {
      const url = `${host.baseUrl}/api/orchestrators/${name}${instanceId ? `/${instanceId}` : ''}`;
      const res = await fetch(url, {
        method: 'POST',
        body: input === undefined ? undefined : JSON.stringify(input),
        headers: { 'content-type': 'application/json' },
      });
      if (res.status !== 202) throw new Error(`start ${name} → ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    /** Polls until the instance reaches a final state (or `until` matches). */
    async waitFor(
      instanceId: string,
      until: (s: OrchestrationStatus) => boolean = (s) =>
        ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus),
      timeoutMs = 30_000,
      query = '',
    ): Promise<OrchestrationStatus> {
      const deadline = Date.now() + timeoutMs;
      let last: OrchestrationStatus | undefined;
      while (Date.now() < deadline) {
        const { code, body } = await status(instanceId, query);
        if (code !== 404) {
          last = body;
          if (until(body)) return body;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `Timed out waiting for ${instanceId}; last status: ${JSON.stringify(last)}\n` +
          `devhost output (tail):\n${host.output().slice(-3000)}`,
      );
    },
    /** Calls one DurableClient method inside the app (`POST /api/client/{op}`). */
    async client(op: string, args: Record<string, unknown>): Promise<{ code: number; body: unknown }> {
      const res = await fetch(`${host.baseUrl}/api/client/${op}`, {
        method: 'POST',
        body: JSON.stringify(args),
        headers: { 'content-type': 'application/json' },
      });
      return { code: res.status, body: await res.json() };
    },
  };
}
