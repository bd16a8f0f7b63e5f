// Optional (useDurableTaskScheduler): a Durable Task Scheduler and task hub as the Durable Functions backend instead
// of the Azure Storage provider. The app uses it only after the host.json swap in docs/durable-backend.md; main.bicep
// sets DURABLE_TASK_SCHEDULER_CONNECTION_STRING and TASKHUB_NAME for it. API version as the official
// durable-functions-quickstart-typescript-azd template uses.

param schedulerName string
param taskHubName string
param appPrincipalId string
param deployerPrincipalId string
param location string
param tags object

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    ipAllowlist: [
      '0.0.0.0/0'
    ]
    sku: {
      name: 'Consumption'
    }
  }

  resource taskHub 'taskHubs' = {
    name: taskHubName
  }
}

// Durable Task Data Contributor: the app runs orchestrations; the deployer reads the task hub's dashboard.
resource appTaskData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, appPrincipalId, '0ad04412-c4d5-4796-b79c-f76d14c8d402')
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0ad04412-c4d5-4796-b79c-f76d14c8d402')
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerTaskData 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(scheduler.id, deployerPrincipalId, '0ad04412-c4d5-4796-b79c-f76d14c8d402')
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0ad04412-c4d5-4796-b79c-f76d14c8d402')
    principalId: deployerPrincipalId
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = scheduler::taskHub.name
