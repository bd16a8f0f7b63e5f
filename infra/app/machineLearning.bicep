// Azure ML for ML Assist training (TRAINING_BACKEND=azureml): a workspace with the Key Vault and storage account it
// requires (Application Insights is the app's), and a GPU compute cluster that scales to zero when idle.
//
// The workspace's own storage account keeps Azure ML's defaults (shared keys on): its system datastores use them.
// Switching it to identity-only (allowSharedKeyAccess: false with systemDatastoresAuthMode: 'identity') also needs
// data roles on it for the compute and the workspace identities; not done here.

param workspaceName string
param keyVaultName string
param storageAccountName string
param appInsightsId string
param computeName string
param createCompute bool
param vmSize string
param maxNodes int
param location string
param tags object
@description('Account and container of the app\'s training data, models and predictions (TRAINING_CONTAINER).')
param trainingStorageAccountName string
param trainingContainerName string
@description('Account and container of the images (the projects\' dataset container).')
param imagesStorageAccountName string
param imagesContainerName string
param trainingDatastoreName string
param imagesDatastoreName string

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource mlStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: workspaceName
  location: location
  tags: tags
  kind: 'Default'
  sku: {
    name: 'Basic'
    tier: 'Basic'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    friendlyName: 'ML Assist Labeling'
    keyVault: keyVault.id
    storageAccount: mlStorage.id
    applicationInsights: appInsightsId
    publicNetworkAccess: 'Enabled'
  }
}

// The training cluster: no node (and no cost) while idle; nodes leave 15 minutes after the last job. Nodes need Azure
// ML quota for the VM family (NCASv3_T4 for the default size; docs/deploy.md). If provisioning refuses the cluster
// while the quota request is pending, provision with createGpuCluster=false and again once it is granted.
resource compute 'Microsoft.MachineLearningServices/workspaces/computes@2024-10-01' = if (createCompute) {
  parent: workspace
  name: computeName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    computeType: 'AmlCompute'
    description: 'ML Assist training and prelabeling'
    properties: {
      vmSize: vmSize
      vmPriority: 'Dedicated'
      osType: 'Linux'
      scaleSettings: {
        minNodeCount: 0
        maxNodeCount: maxNodes
        nodeIdleTimeBeforeScaleDown: 'PT15M'
      }
      remoteLoginPortPublicAccess: 'Disabled'
    }
  }
}

// The app writes datasets, manifests and the scoring script to the training container and reads predictions from it;
// jobs see the same container through this datastore (AZUREML_TRAINING_DATASTORE), and the images through the other
// (AZUREML_IMAGES_DATASTORE). Both are identity-based (credentials None): jobs read them with the cluster's identity,
// which rbac.bicep grants Blob Data Contributor on training and Reader on images. No key is stored in the workspace.
resource trainingDatastore 'Microsoft.MachineLearningServices/workspaces/datastores@2024-10-01' = {
  parent: workspace
  name: trainingDatastoreName
  properties: {
    datastoreType: 'AzureBlob'
    accountName: trainingStorageAccountName
    containerName: trainingContainerName
    endpoint: environment().suffixes.storage
    protocol: 'https'
    serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity'
    credentials: {
      credentialsType: 'None'
    }
  }
}

resource imagesDatastore 'Microsoft.MachineLearningServices/workspaces/datastores@2024-10-01' = {
  parent: workspace
  name: imagesDatastoreName
  properties: {
    datastoreType: 'AzureBlob'
    accountName: imagesStorageAccountName
    containerName: imagesContainerName
    endpoint: environment().suffixes.storage
    protocol: 'https'
    serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity'
    credentials: {
      credentialsType: 'None'
    }
  }
}

output workspaceName string = workspace.name
output trainingDatastoreName string = trainingDatastore.name
output imagesDatastoreName string = imagesDatastore.name
output computeName string = computeName
// Empty without the cluster: rbac.bicep then grants the cluster nothing.
output computePrincipalId string = createCompute ? compute.identity.principalId : ''
