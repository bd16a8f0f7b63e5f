// ML Assist Labeling on Azure: `azd up` provisions this file (subscription scope: one resource group and everything
// in it), deploys the app, then runs infra/hooks/postdeploy.* to subscribe the app to the images' blob events
// (infra/app/eventSubscription.bicep: that subscription needs the deployed function, see docs/deploy.md).
//
// Written by hand after the Azure Functions Flex Consumption azd templates (Azure-Samples/
// functions-quickstart-typescript-azd-eventgrid-blob, durable-functions-quickstart-typescript-azd), with plain
// resources instead of AVM modules. It has not been compiled or deployed from the machines it was written on (no Bicep
// CLI, no Azure access): tests/infra/infra.test.ts checks it as text against the app's settings, roles, Cosmos
// containers, authentication and Event Grid contract. Run `az bicep build --file infra/main.bicep` before relying on it.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the unique suffix of every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource: one with Flex Consumption and the GPU VM size (check both, docs/deploy.md).')
@allowed([
  'eastus'
  'eastus2'
  'centralus'
  'northcentralus'
  'westus2'
  'westus3'
  'northeurope'
  'uksouth'
  'swedencentral'
  'australiaeast'
  'southeastasia'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Blob container in the images storage account that projects label (IMAGES_STORAGE).')
param imagesContainerName string = 'images'

@description('Blob container in the host storage account for training data, models and predictions.')
param trainingContainerName string = 'training'

@description('Cosmos DB database of the label store.')
param cosmosDatabaseName string = 'mlassist'

@description('Cosmos DB capacity: serverless (pay per request unit, no idle cost) or autoscale provisioned throughput.')
@allowed([
  'serverless'
  'autoscale'
])
param cosmosThroughput string = 'serverless'

@description('Autoscale maximum RU/s of the database (shared by its containers); only with cosmosThroughput=autoscale.')
@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 1000

@description('GPU VM size of the Azure ML training cluster (needs quota for its family, docs/deploy.md).')
param gpuVmSize string = 'Standard_NC4as_T4_v3'

@description('Maximum nodes of the training cluster (it scales to 0 when idle).')
@minValue(1)
@maxValue(100)
param gpuMaxNodes int = 4

@description('Create the training cluster now. false while the GPU quota request is pending; provision again later.')
param createGpuCluster bool = true

@description('Application (client) id of the Entra ID app registration for App Service Authentication; empty: no Easy Auth, and the app then refuses every caller (401).')
param authClientId string = ''

@description('Object id of the user running azd (azd sets AZURE_PRINCIPAL_ID); gets data roles to upload images and read the store. Empty: none.')
param principalId string = ''

@description('Also create a Durable Task Scheduler and task hub (needs the host.json swap of docs/durable-backend.md).')
param useDurableTaskScheduler bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var gpuClusterName = 'gpu-cluster'
// The app setting prefix of the images account's identity-based connection: a project's dataset.connectionSetting.
var imagesConnectionSetting = 'IMAGES_STORAGE'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    hostStorageAccountName: 'st${resourceToken}'
    imagesStorageAccountName: 'stimg${resourceToken}'
    deploymentContainerName: deploymentContainerName
    trainingContainerName: trainingContainerName
    deadLetterContainerName: deadLetterContainerName
    imagesContainerName: imagesContainerName
    location: location
    tags: tags
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: 'cosmos-${resourceToken}'
    databaseName: cosmosDatabaseName
    throughputMode: cosmosThroughput
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    location: location
    tags: tags
  }
}

module machineLearning 'app/machineLearning.bicep' = {
  name: 'machineLearning'
  scope: rg
  params: {
    workspaceName: 'mlw-${resourceToken}'
    keyVaultName: 'kv${resourceToken}'
    storageAccountName: 'stml${resourceToken}'
    appInsightsId: monitoring.outputs.appInsightsId
    computeName: gpuClusterName
    createCompute: createGpuCluster
    vmSize: gpuVmSize
    maxNodes: gpuMaxNodes
    trainingStorageAccountName: storage.outputs.hostStorageAccountName
    trainingContainerName: trainingContainerName
    imagesStorageAccountName: storage.outputs.imagesStorageAccountName
    imagesContainerName: imagesContainerName
    trainingDatastoreName: 'mlassist_training'
    imagesDatastoreName: 'mlassist_images'
    location: location
    tags: tags
  }
}

module eventGrid 'app/eventGrid.bicep' = {
  name: 'eventGrid'
  scope: rg
  params: {
    systemTopicName: 'evgt-images-${resourceToken}'
    imagesStorageAccountName: storage.outputs.imagesStorageAccountName
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    deadLetterContainerName: deadLetterContainerName
    location: location
    tags: tags
  }
}

module durableTaskScheduler 'app/durableTaskScheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    schedulerName: 'dts-${resourceToken}'
    taskHubName: 'mlassist'
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    hostStorageAccountName: storage.outputs.hostStorageAccountName
    imagesStorageAccountName: storage.outputs.imagesStorageAccountName
    trainingContainerName: trainingContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceName: machineLearning.outputs.workspaceName
    appPrincipalId: identity.outputs.principalId
    mlComputePrincipalId: machineLearning.outputs.computePrincipalId
    deployerPrincipalId: principalId
  }
}

// Every app setting the app reads on Azure (shared/settings.ts is the contract; tests/infra checks this object
// against it and parses it with parseSettings). Settings left out here keep their defaults (listed in the test).
var appSettings = {
  // Functions host storage, identity-based: the host, the Durable Azure Storage provider and the training container.
  AzureWebJobsStorage__accountName: storage.outputs.hostStorageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // Telemetry with Entra ID (the component's local auth is off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // Label store: Cosmos DB with the managed identity (no COSMOS_KEY: the account's keys are disabled).
  COSMOS_ENDPOINT: cosmos.outputs.endpoint
  COSMOS_DATABASE: cosmosDatabaseName
  // The images account, identity-based; projects name it as dataset.connectionSetting 'IMAGES_STORAGE'.
  IMAGES_STORAGE__blobServiceUri: storage.outputs.imagesBlobEndpoint
  IMAGES_STORAGE__credential: 'managedidentity'
  IMAGES_STORAGE__clientId: identity.outputs.clientId
  // ML Assist training on the Azure ML GPU cluster.
  TRAINING_BACKEND: 'azureml'
  TRAINING_CONTAINER: trainingContainerName
  AZUREML_SUBSCRIPTION_ID: subscription().subscriptionId
  AZUREML_RESOURCE_GROUP: rg.name
  AZUREML_WORKSPACE: machineLearning.outputs.workspaceName
  AZUREML_COMPUTE: gpuClusterName
  AZUREML_VM_SIZE: gpuVmSize
  AZUREML_MAX_NODES: string(gpuMaxNodes)
  AZUREML_TRAINING_DATASTORE: machineLearning.outputs.trainingDatastoreName
  AZUREML_IMAGES_DATASTORE: machineLearning.outputs.imagesDatastoreName
  // A host setting, not the app's: the Functions "your app is running" homepage would otherwise take `/`, where the
  // app serves its web UI (functions/webApp.ts).
  AzureWebJobsDisableHomepage: 'true'
}

// Read by the Durable extension only after the host.json swap in docs/durable-backend.md.
var durableTaskSchedulerSettings = useDurableTaskScheduler
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskScheduler.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
      TASKHUB_NAME: durableTaskScheduler.outputs.taskHubName
    }
  : {}

module functionApp 'app/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    hostStorageBlobEndpoint: storage.outputs.hostBlobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: union(appSettings, durableTaskSchedulerSettings)
    authClientId: authClientId
  }
}

// azd keeps these in .azure/<environment>/.env; the postdeploy hook and docs/deploy.md use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_BASE_URL string = 'https://${functionApp.outputs.defaultHostname}'
output AZURE_HOST_STORAGE_ACCOUNT_NAME string = storage.outputs.hostStorageAccountName
output IMAGES_STORAGE_ACCOUNT_NAME string = storage.outputs.imagesStorageAccountName
output IMAGES_CONTAINER_NAME string = imagesContainerName
output IMAGES_CONNECTION_SETTING string = imagesConnectionSetting
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.systemTopicName
output EVENTGRID_DEADLETTER_CONTAINER_NAME string = deadLetterContainerName
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output AZUREML_WORKSPACE string = machineLearning.outputs.workspaceName
output AUTH_ENABLED bool = !empty(authClientId)
