/**
 * Port for reading the task hub's instance list (the Durable management API's `GET instances/`). Only what the ops
 * view needs: one page of instances whose id starts with a prefix.
 */

export const runtimeStatuses = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Terminated',
  'Suspended',
] as const;
export type RuntimeStatus = (typeof runtimeStatuses)[number];

export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus: unknown;
  /** The orchestration's output; for a failed one, its error. */
  output: unknown;
}

export interface InstancePageQuery {
  instanceIdPrefix: string;
  /** At most this many instances (the task hub may return fewer and still have more). */
  top: number;
  runtimeStatus?: readonly RuntimeStatus[];
  /** From the previous page of the same query. */
  continuationToken?: string;
}

export interface InstancePage {
  items: InstanceStatus[];
  continuationToken?: string;
}

export interface DurableInstances {
  listPage(query: InstancePageQuery): Promise<InstancePage>;
}
