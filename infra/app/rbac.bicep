// Azure RBAC role assignments of the app's identity, the training cluster's identity and the deploying user. The list
// of roles the code needs, and why, is adapters/azureRoles.ts; tests/infra checks this file (and cosmos.bicep,
// eventGrid.bicep, durableTaskScheduler.bicep) against it. Role definition ids are Azure built-in roles.

param hostStorageAccountName string
param imagesStorageAccountName string
param trainingContainerName string
param appInsightsName string
param workspaceName string
@description('The Function App\'s user-assigned identity.')
param appPrincipalId string
@description('The training cluster\'s system-assigned identity; empty without the cluster.')
param mlComputePrincipalId string
@description('The user running azd; empty: no roles for them.')
param deployerPrincipalId string

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource trainingContainer 'containers' existing = {
      name: trainingContainerName
    }
  }
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: imagesStorageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

// --- The app (Functions host, Durable Azure Storage provider, images, telemetry, Azure ML) ---

// Storage Blob Data Owner: host blobs, the deployment package, the task hub's blobs, the training container.
resource appHostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Contributor: the Durable task hub's queues.
resource appHostQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: the Durable task hub's history and instance tables.
resource appHostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Reader: list and read images, and get user delegation keys to sign labelers' image URLs.
resource appImagesReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(imagesStorage.id, appPrincipalId, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
  scope: imagesStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Metrics Publisher: telemetry with Entra ID.
resource appTelemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// AzureML Data Scientist: submit and follow training jobs, models and data assets.
resource appMlDataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, appPrincipalId, 'f6c7c914-8db3-469d-8ca1-694a8f32e121')
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'f6c7c914-8db3-469d-8ca1-694a8f32e121')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// AzureML Compute Operator: read the GPU cluster, create it when it is missing.
resource appMlComputeOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, appPrincipalId, 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815')
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- The training cluster (jobs run as its identity) ---

// Storage Blob Data Contributor on the training container: read training data, write models and predictions.
resource mlComputeTrainingWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(mlComputePrincipalId)) {
  name: guid(hostStorage::blobService::trainingContainer.id, mlComputePrincipalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: hostStorage::blobService::trainingContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: mlComputePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Reader on the images account: training and prelabeling read the images.
resource mlComputeImagesReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(mlComputePrincipalId)) {
  name: guid(imagesStorage.id, mlComputePrincipalId, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
  scope: imagesStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
    principalId: mlComputePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- The deploying user (principalId), when given ---

// Storage Blob Data Contributor on the images account: upload images with azcopy / az storage --auth-mode login.
// No principalType: the deployer may be a user or, in CI, a service principal.
resource deployerImagesWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(imagesStorage.id, deployerPrincipalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: imagesStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: deployerPrincipalId
  }
}
