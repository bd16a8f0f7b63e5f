// The Function App on Flex Consumption (FC1), Node 22, running as the user-assigned identity: it reads its deployment
// package from a host storage container with that identity, and every app setting connection is identity-based.
// App Service Authentication (Entra ID) lets unauthenticated requests through: the app answers 401/403 itself, and
// the Event Grid webhook and /api/health must stay reachable (docs/auth.md).

param name string
param planName string
param location string
param tags object
@description('Resource id of the user-assigned identity.')
param identityId string
@description('Blob endpoint of the host storage account (ends with /).')
param hostStorageBlobEndpoint string
param deploymentContainerName string
@description('App settings; main.bicep documents each one.')
param appSettings object
@description('Entra ID app registration (client id) for App Service Authentication; empty: authentication stays off.')
param authClientId string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the `api` service of azure.yaml to the resource with this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      // No always-ready instances: nothing runs (or bills) while no request, event or timer is due.
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // The runtime lives here on Flex Consumption; FUNCTIONS_WORKER_RUNTIME is not an app setting there.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

// With authentication on, the platform strips client-sent x-ms-client-principal headers and sets its own, and sets
// WEBSITE_AUTH_ENABLED=True, which the app requires before it believes them (shared/settings.ts).
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(authClientId)) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      // Nothing here reads stored provider tokens, so no token store (it would need storage of its own).
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = functionApp.name
output defaultHostname string = functionApp.properties.defaultHostName
