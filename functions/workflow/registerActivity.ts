import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityContract } from '../../shared/workflows/contract';

/**
 * The activity side of a workflow contract: registers `handler` under the contract's name and validates its input
 * first. Handlers are plain exported functions, so tests call them directly. `durableClient` gives the activity a
 * client binding (`df.getClient(context)`), for activities that signal other orchestrations.
 */
export function registerActivity<I, O>(
  contract: ActivityContract<I, O>,
  handler: (input: I, context: InvocationContext) => Promise<O>,
  options: { durableClient?: boolean } = {},
): void {
  df.app.activity(contract.name, {
    ...(options.durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: (input: unknown, context: InvocationContext) => handler(contract.input.parse(input), context),
  });
}
