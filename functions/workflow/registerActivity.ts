import * as df from 'durable-functions';
import type { ActivityContract } from '../../shared/workflows/contract';

/**
 * The activity side of a workflow contract: registers `handler` under the contract's name and validates its input
 * first. Handlers are plain exported functions, so tests call them directly.
 */
export function registerActivity<I, O>(contract: ActivityContract<I, O>, handler: (input: I) => Promise<O>): void {
  df.app.activity(contract.name, {
    handler: (input: unknown) => handler(contract.input.parse(input)),
  });
}
