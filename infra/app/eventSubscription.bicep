// Delivers the images container's blob events to the app's Event Grid trigger, ingestBlobEvents
// (functions/ingestBlobEvents.ts). Not part of main.bicep: infra/hooks/postdeploy.* deploys this file after
// `azd deploy` (resource group scope), because the webhook needs the function's eventgrid_extension system key and
// Event Grid's validation handshake needs the deployed app to answer it; neither exists at provision time.
// The same pattern as the Flex Consumption eventgrid-blob quickstart (which creates its subscription in its
// postdeploy hook), here as a template so that filters, retries and dead-lettering are declared, not scripted.

@description('The Function App (main.bicep output AZURE_FUNCTION_APP_NAME).')
param functionAppName string

@description('The images account\'s Event Grid system topic (EVENTGRID_SYSTEM_TOPIC_NAME).')
param systemTopicName string

@description('The container whose blobs become labeling tasks (IMAGES_CONTAINER_NAME).')
param imagesContainerName string

@description('Storage account holding the dead-letter container (AZURE_HOST_STORAGE_ACCOUNT_NAME).')
param deadLetterStorageAccountName string

@description('Dead-letter container (EVENTGRID_DEADLETTER_CONTAINER_NAME).')
param deadLetterContainerName string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource deadLetterStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: deadLetterStorageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

// The Event Grid extension's system key; the hook waits until the host has created it.
var eventGridKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.eventgrid_extension

resource ingestBlobEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'ingest-blob-events'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/eventgrid?functionName=ingestBlobEvents&code=${eventGridKey}'
        // One event per request, as the function expects (it also accepts a batch).
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
        'Microsoft.Storage.BlobDeleted'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${imagesContainerName}/'
      enableAdvancedFilteringOnArrays: true
      advancedFilters: [
        {
          // Whole-blob writes and deletes only: no events for each block staged or each append.
          operatorType: 'StringIn'
          key: 'data.api'
          values: [
            'PutBlob'
            'PutBlockList'
            'CopyBlob'
            'FlushWithClose'
            'DeleteBlob'
            'DeleteFile'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    // Written with the system topic's identity (Storage Blob Data Contributor on the container, eventGrid.bicep):
    // the account has no shared keys.
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output subscriptionName string = ingestBlobEvents.name
