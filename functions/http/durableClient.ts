import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';

let cached: { key: string; client: DurableClient } | undefined;

/**
 * `df.getClient(context)`, reused while the host hands out the same client binding (task hub, URLs, key). Building a
 * client validates every webhook URL, which cost labeling submissions more than their own rules did; the client
 * keeps no per-call state.
 */
export function durableClient(context: InvocationContext): DurableClient {
  const binding = context.options.extraInputs.find(
    (i) => i.type === 'durableClient' || i.type === 'orchestrationClient',
  );
  const key = JSON.stringify(binding ? context.extraInputs.get(binding) : null);
  if (cached?.key !== key) cached = { key, client: df.getClient(context) };
  return cached.client;
}
