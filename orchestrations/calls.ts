import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { ActivityContract, EventContract, OrchestrationContract, RetryPolicy } from '../shared/workflows/contract';

/**
 * The orchestrator side of the workflow contracts: every activity call goes through `call`, which validates the
 * input against the contract before scheduling it and always states the contract's retry policy.
 */

function retryOptions(policy: RetryPolicy): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryIntervalMs, policy.maxAttempts);
  options.backoffCoefficient = policy.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalMs;
  return options;
}

/** Schedules the activity; use as `const out = yield* call(context, contract, input)`. */
export function* call<I, O>(
  context: OrchestrationContext,
  contract: ActivityContract<I, O>,
  input: I,
): Generator<Task, O, unknown> {
  const checked = contract.input.parse(input);
  return (yield context.df.callActivityWithRetry(contract.name, retryOptions(contract.retry), checked)) as O;
}

/** Schedules the activity once per input and waits for all of them (a fan-out); results in input order. */
export function* callAll<I, O>(
  context: OrchestrationContext,
  contract: ActivityContract<I, O>,
  inputs: readonly I[],
): Generator<Task, O[], unknown> {
  const options = retryOptions(contract.retry);
  const tasks = inputs.map((input) =>
    context.df.callActivityWithRetry(contract.name, options, contract.input.parse(input)),
  );
  return (yield context.df.Task.all(tasks)) as O[];
}

/** A wait for the event, to be yielded (alone or in one `Task.any`); its result is read with `payloadOf`. */
export function waitFor<T>(context: OrchestrationContext, contract: EventContract<T>): Task {
  return context.df.waitForExternalEvent(contract.name);
}

/** The event's payload, or undefined when it does not have the contract's shape (a stray or malformed raise). */
export function payloadOf<T>(contract: EventContract<T>, task: Task): T | undefined {
  const parsed = contract.payload.safeParse(task.result);
  return parsed.success ? parsed.data : undefined;
}

/** The orchestration's input, validated first: a malformed start fails at once, naming the field. */
export function inputOf<I, O>(context: OrchestrationContext, contract: OrchestrationContract<I, O>): I {
  return contract.input.parse(context.df.getInput());
}

/** Continue as new with an input checked against the contract. */
export function continueAsNew<I, O>(context: OrchestrationContext, contract: OrchestrationContract<I, O>, input: I) {
  context.df.continueAsNew(contract.input.parse(input));
}
