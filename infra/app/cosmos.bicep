// The label store: a Cosmos DB for NoSQL account with key auth off, its database, and the containers exactly as
// adapters/cosmos/containers.ts creates them with a key (cosmos-containers.json is that module's containerDefinitions;
// tests/infra keeps the two identical). With Entra ID the app cannot create them itself, so they must exist here.

param accountName string
param databaseName string
@allowed([
  'serverless'
  'autoscale'
])
param throughputMode string
param autoscaleMaxThroughput int
param appPrincipalId string
param deployerPrincipalId string
param location string
param tags object

var containerDefinitions = loadJsonContent('cosmos-containers.json')
// Cosmos DB Built-in Data Contributor (a data-plane SQL role, not an Azure RBAC role).
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: throughputMode == 'serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    // Autoscale: throughput shared by the database's containers. Serverless: no throughput at all.
    options: throughputMode == 'autoscale' ? { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } } : {}
  }
}

// One at a time: the account serializes changes, and parallel ones can be refused as conflicting.
@batchSize(1)
resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in containerDefinitions: {
    parent: database
    name: container.id
    properties: {
      // Each definition as the SDK takes it (id, partitionKey, indexingPolicy when it has one), with hash partitioning
      // version 2 spelt out (the SDK routes by whatever version the container reports).
      resource: union(container, {
        partitionKey: union(container.partitionKey, { kind: 'Hash', version: 2 })
      })
    }
  }
]

resource appDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  name: guid(account.id, appPrincipalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
    principalId: appPrincipalId
    scope: account.id
  }
}

resource deployerDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (!empty(deployerPrincipalId)) {
  parent: account
  // After the app's: concurrent role assignment writes to one account can fail with a conflict.
  dependsOn: [
    appDataContributor
  ]
  name: guid(account.id, deployerPrincipalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
    principalId: deployerPrincipalId
    scope: account.id
  }
}

output endpoint string = account.properties.documentEndpoint
output accountName string = account.name
