// TokenFunctions on Azure: what `azd up` provisions. Native resources only (no registry modules),
// so the template builds offline. Every setting the app reads is set here from a parameter with a
// safe default; docs/deploy.md walks through a deployment and lists the roles and why.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// azd
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment (AZURE_ENV_NAME): names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource (AZURE_LOCATION); it must offer Flex Consumption.')
param location string

@description('Object id of the principal running azd (AZURE_PRINCIPAL_ID). It may put certificates and the cache key into the vault; empty: no role for it.')
param principalId string = ''

// ---------------------------------------------------------------------------------------------
// The first client (app registration). More clients: additionalAppSettings.
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the first client: the {client} of /api/clients/{client}/token (letters, digits, - and _).')
param clientName string = 'default'

@description('Application (client) id of the first client\'s app registration; empty: no client is configured yet (set it and run azd provision again).')
param clientId string = ''

@description('Tenant of the first client\'s app registration (its authority is {login endpoint}{tenant}); empty: the deployment\'s tenant.')
param clientTenantId string = ''

@description('Name of the first client\'s certificate in the vault (letters, digits and -); empty: the client name, _ as -.')
param clientCertificateName string = ''

@description('Send the x5c chain in the client assertion (subject name / issuer authentication).')
param clientSendX5c bool = false

@allowed([
  'standard'
  'premium'
])
@description('Pricing tier of the vault: premium for certificates whose key is in an HSM (key type RSA-HSM, docs/deploy.md step 4).')
param keyVaultSku string = 'standard'

@description('The first client\'s certificate signs its client assertions inside Key Vault (Certificate__SignInKeyVault): the app reads only its public part and never its private key, which may be non-exportable. Also grants the app\'s identity Key Vault Crypto User on the vault (further clients signing in Key Vault through additionalAppSettings rely on it too) and makes the certificate policy output (AZURE_CLIENT_CERTIFICATE_POLICY) non-exportable.')
param clientSignInKeyVault bool = false

@description('Entra endpoint of the first client: empty (global), a region name such as eastus2, or TryAutoDetect (the app\'s region).')
param clientAzureRegion string = 'TryAutoDetect'

@description('Callers the first client serves, each only its scopes: [{ id: caller app or object id, scopes: [...] }]. Empty: any holder of a function key.')
param clientAllowedCallers allowedCaller[] = []

@description('Callers of the first client\'s managed-identity endpoint (/api/clients/{client}/managed-identity/token), each known by the SHA-256 of its secret and limited to its resources: [{ name, secretSha256: lowercase hex SHA-256 of the secret (never the secret), resources: [\'api://inventory\', ...] }]. Empty: the endpoint serves no one.')
param clientManagedIdentityCallers managedIdentityCaller[] = []

@description('Scopes the pre-warm timer keeps fresh for the first client, e.g. [\'api://inventory/.default\']. Empty: no pre-warm target.')
param clientPrewarmScopes string[] = []

@description('More app settings, e.g. further clients: { \'Clients__billing__ClientId\': \'...\', ... }. Never put a secret here: use a Key Vault reference.')
param additionalAppSettings object = {}

// ---------------------------------------------------------------------------------------------
// Token cache, Entra HTTP, credentials and pre-warm: the app's defaults.
// ---------------------------------------------------------------------------------------------

@minLength(3)
@maxLength(63)
@description('Table of the token cache (TokenCache__TableName): 3-63 letters and digits, starting with a letter.')
param tokenCacheTableName string = 'tokencache'

@description('Name of the Key Vault secret holding the token cache key (the base64 of 32 random bytes). The operator creates it once, see docs/deploy.md.')
param tokenCacheKeySecretName string = 'token-cache-key'

@description('TokenCache__OperationTimeout: one Table call, retries included.')
param tokenCacheOperationTimeout string = '00:00:01'

@description('TokenCache__OutageBackoff: after a Table failure, how long requests go without the Table.')
param tokenCacheOutageBackoff string = '00:00:30'

@description('TokenCache__RemovalPropagation: how soon a removal of a client\'s tokens reaches every instance.')
param tokenCacheRemovalPropagation string = '00:00:05'

@description('Http__AttemptTimeout: one attempt at the global Entra endpoint.')
param httpAttemptTimeout string = '00:00:05'

@description('Http__RegionalAttemptTimeout: one attempt at the regional Entra endpoint before failing over.')
param httpRegionalAttemptTimeout string = '00:00:02'

@description('Http__RequestBudget: a whole token request, every attempt and failover included.')
param httpRequestBudget string = '00:00:10'

@description('Http__RegionDiscoveryTimeout: how long the instance metadata service may take to name the region.')
param httpRegionDiscoveryTimeout string = '00:00:00.300'

@description('Http__RegionalFailureThreshold: consecutive regional failures after which a client uses the global endpoint for a while.')
param httpRegionalFailureThreshold int = 3

@description('Http__RegionalCoolDown: how long a client stays on the global endpoint before probing the region again.')
param httpRegionalCoolDown string = '00:05:00'

@description('Credentials__RefreshInterval: how often a Key Vault certificate is checked for a newer version.')
param credentialsRefreshInterval string = '06:00:00'

@description('Prewarm__Schedule: NCRONTAB (UTC) of the pre-warm timer.')
param prewarmSchedule string = '0 */5 * * * *'

@description('Prewarm__RefreshBefore: the timer refreshes a token whose remaining life is under this.')
param prewarmRefreshBefore string = '00:15:00'

@description('Prewarm__MaxParallelism: targets refreshed at once.')
param prewarmMaxParallelism int = 4

@description('Prewarm__RunBudget: how long one pre-warm run may take, well inside the schedule\'s interval.')
param prewarmRunBudget string = '00:02:00'

@description('Prewarm__MaxSweptPerRun: expired cache entries deleted per run.')
param prewarmMaxSweptPerRun int = 1000

// ---------------------------------------------------------------------------------------------
// Hosting and App Service Authentication
// ---------------------------------------------------------------------------------------------

@minValue(40)
@maxValue(1000)
@description('Most instances Flex Consumption scales the app to.')
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
@description('Memory of one instance, in MB.')
param instanceMemoryMB int = 2048

@description('Put App Service Authentication (Entra ID) in front of the token endpoints. Then callers need an Entra token as well as a function key, and AllowedCallers can match them.')
param authEnabled bool = false

@description('Application (client) id of the app registration that represents the broker to its callers (required when authEnabled).')
param authClientId string = ''

@description('Client application ids allowed to call the broker; empty: any application of the tenant (AllowedCallers can still restrict each client).')
param authAllowedClientApplications string[] = []

@description('Audiences a caller\'s token may carry; empty: api://{authClientId} and {authClientId}.')
param authAllowedAudiences string[] = []

@description('Further clients (configured in additionalAppSettings) with ManagedIdentityCallers: their managed-identity endpoints stay reachable when authEnabled.')
param authManagedIdentityClients string[] = []

@description('Switch on the alert rules (infra/monitoring/alerts.bicep; docs/operations.md has a runbook section for each). They are created disabled otherwise.')
param alertsEnabled bool = false

@description('E-mail address the alert rules notify; empty: their action group has no receiver.')
param alertEmail string = ''

@minValue(1)
@maxValue(100)
@description('Percent of failed calls to Entra (caller-caused errors left out, at least 20 calls in 15 minutes) above which its alert fires.')
param alertEntraFailurePercent int = 10

@description('Tags on every resource.')
param tags object = {}

type allowedCaller = {
  @description('The caller\'s application (client) id, or its object id.')
  id: string

  @description('The scopes it may ask for.')
  scopes: string[]
}

type managedIdentityCaller = {
  @description('What logs call the caller.')
  name: string

  @description('Lowercase hex SHA-256 of the caller\'s secret (its IDENTITY_HEADER); the secret itself is never deployed.')
  secretSha256: string

  @description('The resources it may ask for, without /.default.')
  resources: string[]
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
var deploymentContainerName = 'app-package'
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  vault: 'kv-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  plan: 'plan-${resourceToken}'
  function: 'func-${resourceToken}'
}
var clientConfigured = !empty(clientId)
var clientAuthority = '${environment().authentication.loginEndpoint}${empty(clientTenantId) ? tenant().tenantId : clientTenantId}'
var clientCertificate = empty(clientCertificateName) ? replace(clientName, '_', '-') : clientCertificateName

// The policy of the first client's certificate for `az keyvault certificate create --policy`
// (docs/deploy.md, step 4): self-signed RSA 2048 for a year, a new key with each version, and a key
// that never leaves the vault when the client signs there. Renewal is left to the operator (an e-mail
// 30 days before expiry), because a new version works only once it is registered on the app registration.
var clientCertificatePolicy = {
  issuerParameters: {
    name: 'Self'
  }
  keyProperties: {
    exportable: !clientSignInKeyVault
    keyType: 'RSA'
    keySize: 2048
    reuseKey: false
  }
  secretProperties: {
    contentType: 'application/x-pkcs12'
  }
  x509CertificateProperties: {
    subject: 'CN=${clientCertificate}'
    validityInMonths: 12
    keyUsage: [
      'digitalSignature'
    ]
  }
  lifetimeActions: [
    {
      action: {
        actionType: 'EmailContacts'
      }
      trigger: {
        daysBeforeExpiry: 30
      }
    }
  ]
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: allTags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: names.storage
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    tokenCacheTableName: tokenCacheTableName
  }
}

module vault 'core/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: names.vault
    location: location
    tags: allTags
    skuName: keyVaultSku
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: allTags
  }
}

module workbook 'monitoring/workbook.bicep' = {
  name: 'workbook'
  scope: resourceGroup
  params: {
    applicationInsightsName: names.applicationInsights
    displayName: 'TokenFunctions (${environmentName})'
    location: location
    tags: allTags
  }
  dependsOn: [
    monitoring
  ]
}

module alerts 'monitoring/alerts.bicep' = {
  name: 'alerts'
  scope: resourceGroup
  params: {
    applicationInsightsName: names.applicationInsights
    alertsEnabled: alertsEnabled
    alertEmail: alertEmail
    entraFailurePercentThreshold: alertEntraFailurePercent
    namePrefix: 'alert-${resourceToken}'
    location: location
    tags: allTags
  }
  dependsOn: [
    monitoring
  ]
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: resourceGroup
  params: {
    storageAccountName: names.storage
    tokenCacheTableName: tokenCacheTableName
    keyVaultName: names.vault
    applicationInsightsName: names.applicationInsights
    identityName: names.identity
    deployerPrincipalId: principalId
    keyVaultSigning: clientSignInKeyVault
  }
  // Assignments on resources the other modules create: wait for them.
  dependsOn: [
    identity
    storage
    vault
    monitoring
  ]
}

// ---------------------------------------------------------------------------------------------
// App settings: every one the app reads (README's settings table), none it does not.
// ---------------------------------------------------------------------------------------------

var hostSettings = {
  // Identity-based host storage: the account has shared keys disabled, so there is no connection
  // string. The token cache reads the same three settings (Caching/TableStorageOptions.cs).
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // The identity the app uses for Key Vault (Credentials/AzureCredentialFactory.cs).
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
}

var tokenCacheSettings = {
  TokenCache__TableName: tokenCacheTableName
  // A Key Vault reference, resolved by the platform with keyVaultReferenceIdentity. The secret is
  // created by the operator (docs/deploy.md); until it exists the reference does not resolve and the
  // app stops at start with a message naming TokenCache__EncryptionKey: it never runs unencrypted.
  TokenCache__EncryptionKey: '@Microsoft.KeyVault(SecretUri=${vault.outputs.uri}secrets/${tokenCacheKeySecretName})'
  TokenCache__OperationTimeout: tokenCacheOperationTimeout
  TokenCache__OutageBackoff: tokenCacheOutageBackoff
  TokenCache__RemovalPropagation: tokenCacheRemovalPropagation
}

var httpSettings = {
  Http__AttemptTimeout: httpAttemptTimeout
  Http__RegionalAttemptTimeout: httpRegionalAttemptTimeout
  Http__RequestBudget: httpRequestBudget
  Http__RegionDiscoveryTimeout: httpRegionDiscoveryTimeout
  Http__RegionalFailureThreshold: string(httpRegionalFailureThreshold)
  Http__RegionalCoolDown: httpRegionalCoolDown
  Credentials__RefreshInterval: credentialsRefreshInterval
}

var prewarmSettings = {
  Prewarm__Schedule: prewarmSchedule
  Prewarm__RefreshBefore: prewarmRefreshBefore
  Prewarm__MaxParallelism: string(prewarmMaxParallelism)
  Prewarm__RunBudget: prewarmRunBudget
  Prewarm__MaxSweptPerRun: string(prewarmMaxSweptPerRun)
}

var clientSettings = {
  'Clients__${clientName}__ClientId': clientId
  'Clients__${clientName}__Authority': clientAuthority
  'Clients__${clientName}__Certificate__KeyVaultUri': vault.outputs.uri
  'Clients__${clientName}__Certificate__Name': clientCertificate
  'Clients__${clientName}__Certificate__SendX5c': string(clientSendX5c)
  'Clients__${clientName}__Certificate__SignInKeyVault': string(clientSignInKeyVault)
  'Clients__${clientName}__AzureRegion': clientAzureRegion
}

var clientCallerSettings = reduce(
  range(0, length(clientAllowedCallers)),
  {},
  (settings, i) =>
    union(
      settings,
      { 'Clients__${clientName}__AllowedCallers__${i}__Id': clientAllowedCallers[i].id },
      toObject(
        range(0, length(clientAllowedCallers[i].scopes)),
        j => 'Clients__${clientName}__AllowedCallers__${i}__Scopes__${j}',
        j => clientAllowedCallers[i].scopes[j]
      )
    )
)

var clientManagedIdentitySettings = reduce(
  range(0, length(clientManagedIdentityCallers)),
  {},
  (settings, i) =>
    union(
      settings,
      {
        'Clients__${clientName}__ManagedIdentityCallers__${i}__Name': clientManagedIdentityCallers[i].name
        'Clients__${clientName}__ManagedIdentityCallers__${i}__SecretSha256': clientManagedIdentityCallers[i].secretSha256
      },
      toObject(
        range(0, length(clientManagedIdentityCallers[i].resources)),
        j => 'Clients__${clientName}__ManagedIdentityCallers__${i}__Resources__${j}',
        j => clientManagedIdentityCallers[i].resources[j]
      )
    )
)

var clientPrewarmSettings = empty(clientPrewarmScopes)
  ? {}
  : union(
      { Prewarm__Targets__0__Client: clientName },
      toObject(range(0, length(clientPrewarmScopes)), j => 'Prewarm__Targets__0__Scopes__${j}', j => clientPrewarmScopes[j])
    )

var appSettings = union(
  additionalAppSettings,
  hostSettings,
  tokenCacheSettings,
  httpSettings,
  prewarmSettings,
  clientConfigured ? union(clientSettings, clientCallerSettings, clientManagedIdentitySettings, clientPrewarmSettings) : {}
)

module function 'app/function.bicep' = {
  name: 'function'
  scope: resourceGroup
  params: {
    name: names.function
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    authEnabled: authEnabled
    authClientId: authClientId
    authAllowedClientApplications: authAllowedClientApplications
    authAllowedAudiences: authAllowedAudiences
    // The SDKs cannot present an Entra token: the managed-identity endpoints authenticate by their own header.
    authManagedIdentityClients: union([clientName], authManagedIdentityClients)
  }
  // The app starts right after it is created: its identity must already hold its roles.
  dependsOn: [
    roles
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs: azd stores them in the environment (.azure/<env>/.env); docs/deploy.md uses them.
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${function.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_KEY_VAULT_URI string = vault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_TOKEN_CACHE_TABLE string = tokenCacheTableName
output AZURE_TOKEN_CACHE_KEY_SECRET_NAME string = tokenCacheKeySecretName
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_CLIENT_NAME string = clientName
output AZURE_CLIENT_CERTIFICATE_NAME string = clientCertificate
output AZURE_CLIENT_CERTIFICATE_POLICY string = string(clientCertificatePolicy)
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_WORKBOOK_ID string = workbook.outputs.id

// The federated identity credential with which an app registration trusts the app's identity
// (docs/deploy.md, "Managed identity as the credential"): the identity's tokens are Entra's for the
// deployment's tenant, their subject is its object (principal) id, and their audience is the token
// exchange audience of this cloud.
output AZURE_FEDERATED_CREDENTIAL_ISSUER string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
output AZURE_FEDERATED_CREDENTIAL_SUBJECT string = identity.outputs.principalId
output AZURE_FEDERATED_CREDENTIAL_AUDIENCE string = environment().name == 'AzureUSGovernment'
  ? 'api://AzureADTokenExchangeUSGov'
  : environment().name == 'AzureChinaCloud' ? 'api://AzureADTokenExchangeChina' : 'api://AzureADTokenExchange'
