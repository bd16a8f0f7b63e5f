/**
 * The Azure roles the app and the services around it need on Azure, in one place: infra/ grants each of them
 * (tests/infra/infra.test.ts checks that every role here is assigned there, to the right principal on the right
 * scope, and that infra/ grants nothing that is not listed here). Nothing at run time reads this list; it is the
 * written-down contract between the code's data access and the infrastructure.
 *
 * Role definition ids are Azure's built-in ones (the same GUID in every tenant); Cosmos DB's data roles are not Azure
 * RBAC roles but SQL role definitions inside the account, hence `kind`.
 */

/** Who holds the role. */
export type RolePrincipal =
  /** the Function App's user-assigned managed identity */
  | 'app'
  /** the Azure ML compute cluster's system-assigned identity (training jobs run as it) */
  | 'mlCompute'
  /** the Event Grid system topic's system-assigned identity (dead-lettering) */
  | 'eventGridTopic'
  /** whoever runs `azd up` (`principalId`), only when given: for uploading images and looking at data */
  | 'deployer';

/** Where the role is assigned. */
export type RoleScope =
  | 'hostStorage'
  | 'trainingContainer'
  | 'deadLetterContainer'
  | 'imagesStorage'
  | 'cosmos'
  | 'mlWorkspace'
  | 'appInsights'
  | 'durableTaskScheduler';

export interface AzureRole {
  name: string;
  roleDefinitionId: string;
  kind: 'azureRbac' | 'cosmosSql';
  principal: RolePrincipal;
  scope: RoleScope;
  why: string;
  /** Assigned only with an infra option (`principalId` given, `useDurableTaskScheduler`, the GPU cluster created). */
  onlyWhen?: 'principalId' | 'useDurableTaskScheduler' | 'createGpuCluster';
}

const storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';
const storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88';
const storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3';
const monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb';
const azureMlDataScientist = 'f6c7c914-8db3-469d-8ca1-694a8f32e121';
const azureMlComputeOperator = 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815';
const durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
/** Cosmos DB Built-in Data Contributor: a SQL role definition id, the same in every account. */
const cosmosBuiltInDataContributor = '00000000-0000-0000-0000-000000000002';

export const azureRoles: readonly AzureRole[] = [
  {
    name: 'Storage Blob Data Owner',
    roleDefinitionId: storageBlobDataOwner,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'hostStorage',
    why:
      'AzureWebJobsStorage (identity-based): the Functions host (keys, leases, timers), the Flex deployment ' +
      'package container, the Durable task hub blobs, and the app’s training container (read/write)',
  },
  {
    name: 'Storage Queue Data Contributor',
    roleDefinitionId: storageQueueDataContributor,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'hostStorage',
    why: 'the Durable Functions Azure Storage provider’s control and work-item queues',
  },
  {
    name: 'Storage Table Data Contributor',
    roleDefinitionId: storageTableDataContributor,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'hostStorage',
    why: 'the Durable Functions Azure Storage provider’s history and instance tables',
  },
  {
    name: 'Storage Blob Data Reader',
    roleDefinitionId: storageBlobDataReader,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'imagesStorage',
    why:
      'projects’ images (IMAGES_STORAGE): list and read blobs (backfill, image headers) and get a user delegation ' +
      'key (generateUserDelegationKey, in this role) to sign labelers’ read-only image URLs; account scope, as the ' +
      'key is an account-level operation',
  },
  {
    name: 'Cosmos DB Built-in Data Contributor',
    roleDefinitionId: cosmosBuiltInDataContributor,
    kind: 'cosmosSql',
    principal: 'app',
    scope: 'cosmos',
    why: 'the label store (COSMOS_ENDPOINT without COSMOS_KEY): read and write items in the provisioned containers',
  },
  {
    name: 'AzureML Data Scientist',
    roleDefinitionId: azureMlDataScientist,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'mlWorkspace',
    why: 'TRAINING_BACKEND=azureml: submit, read and cancel training jobs, register and read models and data',
  },
  {
    name: 'AzureML Compute Operator',
    roleDefinitionId: azureMlComputeOperator,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'mlWorkspace',
    why:
      'read the GPU cluster, and create it (AZUREML_VM_SIZE, AZUREML_MAX_NODES) when it is missing; ' +
      'AzureML Data Scientist cannot create or delete compute',
  },
  {
    name: 'Monitoring Metrics Publisher',
    roleDefinitionId: monitoringMetricsPublisher,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'appInsights',
    why: 'telemetry with Microsoft Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING; local auth is off)',
  },
  {
    name: 'Durable Task Data Contributor',
    roleDefinitionId: durableTaskDataContributor,
    kind: 'azureRbac',
    principal: 'app',
    scope: 'durableTaskScheduler',
    why: 'the Durable Task Scheduler backend (docs/durable-backend.md), when chosen instead of Azure Storage',
    onlyWhen: 'useDurableTaskScheduler',
  },
  {
    name: 'Storage Blob Data Contributor',
    roleDefinitionId: storageBlobDataContributor,
    kind: 'azureRbac',
    principal: 'mlCompute',
    scope: 'trainingContainer',
    why: 'training jobs read the exported training data and write models and predictions (TRAINING_CONTAINER)',
    onlyWhen: 'createGpuCluster',
  },
  {
    name: 'Storage Blob Data Reader',
    roleDefinitionId: storageBlobDataReader,
    kind: 'azureRbac',
    principal: 'mlCompute',
    scope: 'imagesStorage',
    why: 'training and prelabeling jobs read the images themselves',
    onlyWhen: 'createGpuCluster',
  },
  {
    name: 'Storage Blob Data Contributor',
    roleDefinitionId: storageBlobDataContributor,
    kind: 'azureRbac',
    principal: 'eventGridTopic',
    scope: 'deadLetterContainer',
    why: 'Event Grid dead-letters undeliverable blob events into eventgrid-deadletter with its own identity',
  },
  {
    name: 'Storage Blob Data Contributor',
    roleDefinitionId: storageBlobDataContributor,
    kind: 'azureRbac',
    principal: 'deployer',
    scope: 'imagesStorage',
    why: 'upload the images (azcopy / az storage blob upload-batch --auth-mode login); shared keys are off',
    onlyWhen: 'principalId',
  },
  {
    name: 'Cosmos DB Built-in Data Contributor',
    roleDefinitionId: cosmosBuiltInDataContributor,
    kind: 'cosmosSql',
    principal: 'deployer',
    scope: 'cosmos',
    why: 'look at the label store in Data Explorer; account keys are off',
    onlyWhen: 'principalId',
  },
  {
    name: 'Durable Task Data Contributor',
    roleDefinitionId: durableTaskDataContributor,
    kind: 'azureRbac',
    principal: 'deployer',
    scope: 'durableTaskScheduler',
    why: 'the task hub’s dashboard',
    onlyWhen: 'useDurableTaskScheduler',
  },
];
