import type { AzureMlArm } from './azureMlArm';

/**
 * A job's metrics from the workspace's MLflow endpoint (ARM's job resource has none). The tracking URI comes from the
 * workspace (`properties.mlFlowTrackingUri`, `azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/...`); with
 * `https://` in place of `azureml://` it is the base of MLflow's REST API (`/api/2.0/mlflow/...`), which takes the
 * same ARM token. An AML job is an MLflow run of the same id.
 *
 * For an AutoML job the figures worth keeping are the best trial's: the parent run names it in the tag
 * `automl_best_child_run_id`. Its metrics win over the parent's of the same name. Only numbers are kept (MLflow's
 * `metrics` hold each key's latest value).
 */
export const BEST_CHILD_TAG = 'automl_best_child_run_id';

interface MlflowRun {
  run?: {
    data?: {
      metrics?: Array<{ key?: unknown; value?: unknown }>;
      tags?: Array<{ key?: unknown; value?: unknown }>;
    };
  };
}

export function mlflowBase(trackingUri: string): string {
  return trackingUri.replace(/^azureml:\/\//i, 'https://').replace(/\/+$/, '');
}

async function getRun(arm: AzureMlArm, base: string, runId: string): Promise<MlflowRun> {
  const url = `${base}/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`;
  return (await arm.sendOk(`MLflow run '${runId}'`, 'GET', url)).body as MlflowRun;
}

function numericMetrics(run: MlflowRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of run.run?.data?.metrics ?? []) {
    if (typeof m.key === 'string' && typeof m.value === 'number' && Number.isFinite(m.value)) out[m.key] = m.value;
  }
  return out;
}

/** The job's numeric metrics; undefined when the workspace has no MLflow endpoint. Throws when MLflow fails. */
export async function mlflowMetrics(arm: AzureMlArm, jobName: string): Promise<Record<string, number> | undefined> {
  const trackingUri = (await arm.workspace()).mlFlowTrackingUri;
  if (!trackingUri) return undefined;
  const base = mlflowBase(trackingUri);
  const parent = await getRun(arm, base, jobName);
  const bestChild = parent.run?.data?.tags?.find((t) => t.key === BEST_CHILD_TAG)?.value;
  const metrics = numericMetrics(parent);
  if (typeof bestChild === 'string' && bestChild !== '')
    Object.assign(metrics, numericMetrics(await getRun(arm, base, bestChild)));
  return metrics;
}
