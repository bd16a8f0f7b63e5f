import type { DurableClient } from 'durable-functions';
import type {
  DurableInstances,
  InstancePage,
  InstancePageQuery,
  InstanceStatus,
} from '../../shared/ports/durableInstances';

/** What the `durableClient` input binding carries that this adapter reads (see the host contract in docs). */
export interface ClientBindingData {
  rpcBaseUrl?: string;
}

/**
 * The task hub's instance list through the Durable extension's HTTP API, which takes `instanceIdPrefix` and `top`
 * and pages with `x-ms-continuation-token`. The durable-functions client has no prefix filter and concatenates every
 * page, so this calls the API itself: on the extension's local RPC endpoint (`rpcBaseUrl`, loopback, no key) when the
 * binding names one, else on the management URL the client builds (with the system key the binding carries).
 */
export class ManagementApiInstances implements DurableInstances {
  constructor(
    private readonly client: DurableClient,
    private readonly binding: ClientBindingData,
  ) {}

  async listPage(query: InstancePageQuery): Promise<InstancePage> {
    const url = this.listUrl();
    url.searchParams.set('instanceIdPrefix', query.instanceIdPrefix);
    url.searchParams.set('top', String(query.top));
    url.searchParams.set('showInput', 'false');
    if (query.runtimeStatus?.length) url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
    const response = await fetch(url, {
      headers: query.continuationToken ? { 'x-ms-continuation-token': query.continuationToken } : {},
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status !== 200) {
      throw new Error(
        `The task hub's instance list answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    const items = ((await response.json()) as InstanceStatus[]).map(statusOf);
    const token = response.headers.get('x-ms-continuation-token');
    // The extension sends the header with an empty value (or "null") on the last page.
    return token && token !== 'null' ? { items, continuationToken: token } : { items };
  }

  private listUrl(): URL {
    if (this.binding.rpcBaseUrl) return new URL('instances/', this.binding.rpcBaseUrl);
    return new URL(this.client.createHttpManagementPayload('').statusQueryGetUri);
  }
}

function statusOf(s: InstanceStatus): InstanceStatus {
  return {
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
    customStatus: s.customStatus ?? null,
    output: s.output ?? null,
  };
}

/**
 * The management API's status URL of one instance as a path with its query (task hub and connection), without the
 * `code` key the binding's URL carries: responses never hold secrets, the caller adds the system key.
 */
export function statusPath(client: DurableClient, instanceId: string): string {
  const url = new URL(client.createHttpManagementPayload(instanceId).statusQueryGetUri);
  url.searchParams.delete('code');
  return `${url.pathname}${url.search}`;
}
