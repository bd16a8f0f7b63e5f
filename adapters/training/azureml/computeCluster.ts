import type { ComputeResource } from '@azure/arm-machinelearning';
import type { AzureMlBackendConfig } from './azureMlConfig';
import type { AzureMlArm } from './azureMlArm';
import { AzureMlError, errorFromSdk, isNotFound } from './azureMlErrors';

/**
 * The GPU cluster's body when the app has to create it (infrastructure normally does). Min 0 nodes so an idle
 * cluster costs nothing; max `maxNodes`; nodes go after two idle minutes (AML's default is two minutes as well, set
 * here so it is visible). With 'Managed' job identity the cluster gets a system-assigned identity, which still needs
 * its storage role assignments (infrastructure's job: a cluster created here cannot read the datastores until then).
 * The SDK serializes compute bodies correctly (unlike job bodies).
 */
export function computeBody(config: AzureMlBackendConfig, location: string | undefined): ComputeResource {
  return {
    location,
    ...((config.jobIdentity ?? 'Managed') === 'Managed' ? { identity: { type: 'SystemAssigned' } } : {}),
    properties: {
      computeType: 'AmlCompute',
      description: 'ML Assist Labeling training and prelabeling (created by the app)',
      properties: {
        vmSize: config.vmSize,
        vmPriority: 'Dedicated',
        osType: 'Linux',
        scaleSettings: { minNodeCount: 0, maxNodeCount: config.maxNodes, nodeIdleTimeBeforeScaleDown: 'PT120S' },
        remoteLoginPortPublicAccess: 'Disabled',
      },
    },
  };
}

/**
 * Makes sure the cluster exists before a job names it. A missing cluster is created with one PUT and not waited for:
 * the create is a long-running operation of a minute or more, longer than an activity should block, and a job for a
 * cluster still being created is either queued by AML or refused; a refusal surfaces and the caller's retry comes
 * back once the cluster is there (the next check finds it). A cluster whose creation failed is reported as such.
 */
export async function ensureCompute(arm: AzureMlArm, config: AzureMlBackendConfig): Promise<void> {
  const { resourceGroup, workspace, compute } = config;
  try {
    const existing = await arm.client.computeOperations.get(resourceGroup, workspace, compute);
    if (existing.properties?.provisioningState === 'Failed') {
      throw new AzureMlError(
        undefined,
        'ComputeFailed',
        `Azure ML compute '${compute}' is in state Failed: delete it (the app recreates it) or fix it in the workspace`,
      );
    }
    return;
  } catch (err) {
    if (err instanceof AzureMlError) throw err;
    if (!isNotFound(err)) throw errorFromSdk(`Azure ML compute '${compute}'`, err);
  }
  const { location } = await arm.workspace();
  try {
    // beginCreateOrUpdate sends the PUT, reads the operation's status once and returns the poller, left unwaited.
    await arm.client.computeOperations.beginCreateOrUpdate(
      resourceGroup,
      workspace,
      compute,
      computeBody(config, location),
    );
  } catch (err) {
    throw errorFromSdk(`Creating Azure ML compute '${compute}'`, err);
  }
}
