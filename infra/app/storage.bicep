// Two storage accounts, shared keys off (every client signs in with Entra ID):
//   host    AzureWebJobsStorage: the Functions host, the Flex deployment package, the Durable task hub (Azure Storage
//           provider), the training container (TRAINING_CONTAINER) and Event Grid's dead-letter container;
//   images  the images projects label (IMAGES_STORAGE). Its own account so that its Event Grid system topic sees
//           image uploads only, not the host's constant blob traffic.

param hostStorageAccountName string
param imagesStorageAccountName string
param deploymentContainerName string
param trainingContainerName string
param deadLetterContainerName string
param imagesContainerName string
param location string
param tags object

var accountProperties = {
  accessTier: 'Hot'
  allowBlobPublicAccess: false
  allowSharedKeyAccess: false
  defaultToOAuthAuthentication: true
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  publicNetworkAccess: 'Enabled'
  networkAcls: {
    defaultAction: 'Allow'
    bypass: 'AzureServices'
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: accountProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }

    resource trainingContainer 'containers' = {
      name: trainingContainerName
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
    }
  }
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: imagesStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: accountProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource imagesContainer 'containers' = {
      name: imagesContainerName
    }
  }
}

output hostStorageAccountName string = hostStorage.name
output hostBlobEndpoint string = hostStorage.properties.primaryEndpoints.blob
output imagesStorageAccountName string = imagesStorage.name
output imagesBlobEndpoint string = imagesStorage.properties.primaryEndpoints.blob
