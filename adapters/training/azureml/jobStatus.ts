import type { ProviderJobState } from '../../../shared/ports/trainingBackend';

/**
 * AML job statuses (`JobStatus`, an open string enum: the service adds values, its own examples show `Scheduled`)
 * to the port's states. Only Completed, Failed and Canceled end a job; anything else, known or not, is still going:
 * a status the app does not know must never end a run or start a second job.
 */
const byStatus = new Map<string, ProviderJobState>(
  Object.entries({
    NotStarted: 'queued',
    Queued: 'queued',
    Scheduled: 'queued',
    Preparing: 'running',
    Provisioning: 'running',
    Starting: 'running',
    Running: 'running',
    Finalizing: 'running',
    // Cancellation takes a while; the run stays active until AML says Canceled.
    CancelRequested: 'running',
    // The node stopped reporting or the job was paused: AML may recover it, so not an end.
    NotResponding: 'running',
    Paused: 'running',
    Unknown: 'running',
    Completed: 'completed',
    Failed: 'failed',
    Canceled: 'canceled',
  } satisfies Record<string, ProviderJobState>),
);

export function jobState(status: string | undefined): ProviderJobState {
  return (status !== undefined ? byStatus.get(status) : undefined) ?? 'running';
}
