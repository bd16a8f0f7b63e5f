// The Event Grid system topic of the images account, with a system-assigned identity that dead-letters undeliverable
// events into the host account's eventgrid-deadletter container. The subscription that delivers the events to the
// app (eventSubscription.bicep) is deployed after the app, by infra/hooks/postdeploy.*: it needs the function's
// Event Grid system key, which exists only once the deployed app has started.

param systemTopicName string
param imagesStorageAccountName string
param hostStorageAccountName string
param deadLetterContainerName string
param location string
param tags object

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: imagesStorageAccountName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: imagesStorage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Storage Blob Data Contributor on the dead-letter container only.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage::blobService::deadLetterContainer.id, systemTopic.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: hostStorage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output systemTopicName string = systemTopic.name
