// The Flex Consumption plan and the Linux Function App (.NET 10 isolated worker), its app settings
// and, optionally, App Service Authentication (Entra ID) in front of it.

param name string
param planName string
param location string
param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('URL of the blob container Flex Consumption deploys the package to.')
param deploymentContainerUrl string

@description('The app settings (environment variables), composed in main.bicep.')
param appSettings object

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Put App Service Authentication (Entra ID) in front of the app.')
param authEnabled bool = false

@description('Application (client) id of the app registration that represents the broker to its callers.')
param authClientId string = ''

@description('Tenant whose tokens App Service Authentication accepts.')
param authTenantId string = subscription().tenantId

@description('Audiences a caller\'s token may carry; empty: api://{authClientId} and {authClientId}.')
param authAllowedAudiences string[] = []

@description('Client application ids allowed to call the app; empty: any application of the tenant.')
param authAllowedClientApplications string[] = []

@description('Clients whose managed-identity endpoint stays reachable without an Entra token: it checks its own X-IDENTITY-HEADER.')
param authManagedIdentityClients string[] = []

// App Service Authentication matches excluded paths exactly: one per client.
var authExcludedPaths = concat(['/api/health'], map(authManagedIdentityClients, client => '/api/clients/${client}/managed-identity/token'))

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
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
    // Key Vault references (TokenCache__EncryptionKey) are resolved with the user-assigned identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Replaces every app setting on each provision: settings added by hand are removed by the next
// `azd provision`; add them through main.bicep's additionalAppSettings parameter instead.
resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// App Service Authentication validates the caller's Entra token before the function runs and
// injects X-MS-CLIENT-PRINCIPAL (stripping any such header a caller sent). When it is enabled the
// platform sets WEBSITE_AUTH_ENABLED=True, and only then does the broker trust that header (see
// docs/architecture.md, security model); the app settings never set WEBSITE_AUTH_ENABLED themselves.
// Function keys still apply.
resource auth 'Microsoft.Web/sites/config@2024-11-01' = if (authEnabled) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Health stays anonymous: it reveals nothing and probes carry no token. The managed-identity
      // endpoints are reached by SDKs that cannot present an Entra token; they check their own header.
      excludedPaths: authExcludedPaths
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: union(
          {
            allowedAudiences: empty(authAllowedAudiences) ? ['api://${authClientId}', authClientId] : authAllowedAudiences
          },
          empty(authAllowedClientApplications)
            ? {}
            : {
                defaultAuthorizationPolicy: {
                  allowedApplications: authAllowedClientApplications
                }
              }
        )
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
