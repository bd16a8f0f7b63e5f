import { retryPolicy, type PipelinePolicy, type PipelineResponse, type RetryStrategy } from '@azure/core-rest-pipeline';
import type { AzureMlRetryOptions } from './azureMlConfig';

/**
 * The one retry policy of the client's pipeline, so SDK calls and the raw job PUTs retry alike. It replaces the
 * SDK's default policy, which retries the same statuses but honours any Retry-After however long (an hour-long
 * Retry-After would hold an activity for an hour); here waits are bounded and a longer throttle surfaces instead.
 *
 * - 429 and 503 with Retry-After (seconds or HTTP-date, or retry-after-ms / x-ms-retry-after-ms): wait that long
 *   when it is at most `maxRetryAfterInMs`, otherwise stop and return the response.
 * - 408 and 5xx (not 501/505) without Retry-After, and connection errors: exponential backoff with jitter.
 * - Anything else (4xx): no retry; the caller surfaces AML's error.
 */
export const AZURE_ML_RETRY_POLICY = 'azureMlBoundedRetryPolicy';

const defaults = { maxRetries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000, maxRetryAfterInMs: 60_000 };

export function retryAfterMs(response: PipelineResponse, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(response.headers.get(name));
    if (response.headers.has(name) && Number.isFinite(value) && value >= 0) return value;
  }
  const header = response.headers.get('retry-after');
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

const systemErrors = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE']);

export function boundedRetryPolicy(options: AzureMlRetryOptions = {}): PipelinePolicy {
  const o = { ...defaults, ...options };
  const throttling: RetryStrategy = {
    name: 'boundedThrottling',
    retry({ response }) {
      if (!response || (response.status !== 429 && response.status !== 503)) return { skipStrategy: true };
      const wait = retryAfterMs(response);
      if (wait === undefined) return { skipStrategy: true };
      // Too long to wait here: returning no modifier makes the policy hand back this response unretried.
      if (wait > o.maxRetryAfterInMs) return {};
      return { retryAfterInMs: wait };
    },
  };
  const transient: RetryStrategy = {
    name: 'boundedExponential',
    retry({ retryCount, response, responseError }) {
      const status = response?.status;
      const transientStatus =
        status !== undefined && (status === 408 || (status >= 500 && status !== 501 && status !== 505));
      const systemError = !response && responseError?.code !== undefined && systemErrors.has(responseError.code);
      if (!transientStatus && !systemError) return { skipStrategy: true };
      // A 503 that said when to come back was the throttling strategy's call (including "not now, too long").
      if (response && status === 503 && retryAfterMs(response) !== undefined) return { skipStrategy: true };
      const exponential = Math.min(o.maxRetryDelayInMs, o.retryDelayInMs * 2 ** retryCount);
      // Half fixed, half random: concurrent activities that failed together do not come back together.
      return { retryAfterInMs: Math.round(exponential / 2 + (Math.random() * exponential) / 2) };
    },
  };
  const policy = retryPolicy([throttling, transient], { maxRetries: o.maxRetries });
  return { name: AZURE_ML_RETRY_POLICY, sendRequest: (request, next) => policy.sendRequest(request, next) };
}
