import type { z } from 'zod';

/**
 * Typed workflow contracts: one object per orchestration, activity and event, used by both sides (orchestrators in
 * orchestrations/, activity handlers and triggers in functions/), so a name or a payload shape cannot drift between
 * caller and callee. Inputs are zod schemas: the receiving side validates before it acts. Outputs are types only
 * (the caller trusts its own activity's result; a schema there would cost every replay a parse).
 */

/** How an activity is retried on failure (the orchestrator turns it into durable RetryOptions). */
export interface RetryPolicy {
  firstRetryIntervalMs: number;
  maxAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalMs: number;
}

export interface ActivityContract<I, O> {
  readonly kind: 'activity';
  readonly name: string;
  readonly input: z.ZodType<I>;
  readonly retry: RetryPolicy;
  /** Phantom: carries the output type to both sides. */
  readonly output?: O;
}

export interface OrchestrationContract<I, O> {
  readonly kind: 'orchestration';
  readonly name: string;
  readonly input: z.ZodType<I>;
  readonly output?: O;
}

export interface EventContract<T> {
  readonly kind: 'event';
  readonly name: string;
  readonly payload: z.ZodType<T>;
}

export function activity<I, O>(name: string, input: z.ZodType<I>, retry: RetryPolicy): ActivityContract<I, O> {
  return { kind: 'activity', name, input, retry };
}

export function orchestration<I, O>(name: string, input: z.ZodType<I>): OrchestrationContract<I, O> {
  return { kind: 'orchestration', name, input };
}

export function event<T>(name: string, payload: z.ZodType<T>): EventContract<T> {
  return { kind: 'event', name, payload };
}

export type InputOf<C> = C extends { input: z.ZodType<infer I> } ? I : never;
export type OutputOf<C> = C extends { output?: infer O } ? O : never;

/** Store and storage calls: throttling and hiccups retried with backoff for about two minutes, then the call fails. */
export const storeRetry: RetryPolicy = {
  firstRetryIntervalMs: 1_000,
  maxAttempts: 6,
  backoffCoefficient: 2,
  maxRetryIntervalMs: 60_000,
};

/** Listing a container: slower to give up, since a failed page fails the whole backfill run. */
export const listingRetry: RetryPolicy = {
  firstRetryIntervalMs: 2_000,
  maxAttempts: 6,
  backoffCoefficient: 2,
  maxRetryIntervalMs: 60_000,
};
