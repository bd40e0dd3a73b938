// Role assignments, least privilege. Every role is scoped to the narrowest resource it can be, and
// each says why it is there and why not narrower. Control-plane rights for azd itself (creating the resource group,
// the resources and these assignments, then deploying the package through the Function App's
// publish endpoint) come from the deploying principal's own Owner, or Contributor plus
// Role Based Access Control Administrator, on the subscription: nothing here grants them.

@description('Storage account of the Functions host, the deployment package and the token cache.')
param storageAccountName string

@description('Table of the token cache in that account.')
param tokenCacheTableName string

param keyVaultName string
param applicationInsightsName string

@description('Name of the Function App\'s user-assigned identity.')
param identityName string

@description('Object id of the principal running azd (AZURE_PRINCIPAL_ID); empty: no role for it.')
param deployerPrincipalId string = ''

@description('A client signs its assertions inside Key Vault (Certificate__SignInKeyVault): the identity may sign with the vault\'s keys.')
param keyVaultSigning bool = false

// Built-in role definition ids (the same in every cloud and tenant). A wrong id fails the whole
// deployment with RoleDefinitionDoesNotExist; FunctionApp.Tests checks each against Microsoft's list.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultCertificateUser: 'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba'
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultCertificatesOfficer: 'a4417e6f-fecd-4de8-b567-7b0420556985'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource tableService 'tableServices' existing = {
    name: 'default'

    resource tokenCache 'tables' existing = {
      name: tokenCacheTableName
    }
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Identity: Storage Blob Data Owner on the account. The Functions host keeps its leases (the
// timer's singleton lock), its function keys (azure-webjobs-secrets) and its state in blob
// containers it creates itself, and Flex Consumption reads the deployment package from the
// deployment container with this identity. Microsoft documents Storage Blob Data Owner as the
// minimum for identity-based AzureWebJobsStorage with no extension ("read and write access to blobs
// and the ability to create containers"); a timer trigger adds nothing to it. Not narrower: the
// host creates its containers at start, and creating a container is granted on the account (or its
// blob service, the same thing here), not on a container that does not exist yet; which containers
// the host uses is not documented, so creating them here to scope the role to them would break
// with a host update. The deployment container needs no role of its own: this one covers it.
resource identityBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// No Storage Queue Data Contributor: the app has HTTP and timer triggers only. Queues are used by
// the host only for queue triggers, blob triggers and Durable Functions, none of which it has.
// No Storage Table Data Contributor on the account either: the host would use it only to persist
// its optional diagnostic events (a table it creates each month), which Microsoft lists as outside
// the minimum; without it the host logs a warning that it cannot write them. On the account it
// would let the identity read and write every table there.

// Identity: Storage Table Data Contributor on the token cache table only (not the account): the
// cache reads, writes and deletes its entities there. The table is created here, so the app never
// needs the account-level right to create tables.
resource identityTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::tableService::tokenCache.id, identity.id, roles.storageTableDataContributor)
  scope: storage::tableService::tokenCache
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity: Key Vault Certificate User on the vault: downloading a client certificate with its
// private key (CertificateClient.DownloadCertificateAsync) reads the certificate and its backing
// secret; this role allows exactly that, and no writes. Vault scope, because a role assignment's
// scope must exist when it is deployed, and the certificates do not: the operator creates or
// imports them after provisioning (docs/deploy.md, step 4), and the certificates of further clients
// are named only in additionalAppSettings, which the template cannot read as names.
// Note what that means: the role includes secrets/getSecret (a certificate's private key is read
// through the secret of the same name), so on the vault it reads every secret in it, the cache key
// included. The vault is the broker's own: keep nothing else in it.
resource identityCertificateUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultCertificateUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCertificateUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity: Key Vault Crypto User on the vault, only when a client signs in Key Vault
// (Certificate__SignInKeyVault): its assertions are signed with the certificate's key inside the vault
// (keys/sign), and Key Vault Certificate User above reads the certificate's public part and key id.
// Vault scope for the same reason as that role: the certificates (and so their keys) are created
// after provisioning, and further clients' certificates are named only in additionalAppSettings. It
// adds signing with (and encrypting, decrypting, wrapping with) the vault's keys, and no key export.
resource identityCryptoUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (keyVaultSigning) {
  name: guid(vault.id, identity.id, roles.keyVaultCryptoUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity: Key Vault Secrets User on the vault, because the token cache key IS a Key Vault secret:
// the platform resolves the TokenCache__EncryptionKey Key Vault reference with this identity
// (keyVaultReferenceIdentity). Not scoped to that one secret, for two reasons:
// - The secret does not exist at the first provision, and a role assignment scoped to it would fail
//   the deployment. The template cannot create it either without choosing the key itself, and
//   everything a template can compute is predictable or rotates the key on every provision
//   (docs/deploy.md, step 3). Scoping it would need a second provision after the operator creates
//   the secret, gated by a flag the operator must remember.
// - It would narrow nothing: Key Vault Certificate User above, which must stay on the vault, already
//   reads every secret of the vault. So this assignment states what the app needs, and it becomes
//   worth scoping only once the certificates can be scoped too.
resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity: Monitoring Metrics Publisher on the Application Insights component: with local auth
// disabled, telemetry is accepted only from an Entra identity holding this role.
resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Deployer: Key Vault Certificates Officer on the vault, to import or create the client
// certificates (az keyvault certificate import/create). RBAC vaults grant no data-plane access to
// subscription owners, so without it the operator could not put a certificate in.
resource deployerCertificatesOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultCertificatesOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCertificatesOfficer)
    principalId: deployerPrincipalId
  }
}

// Deployer: Key Vault Secrets Officer on the vault, to create (and later rotate) the token cache
// key secret once (az keyvault secret set). The key is generated on the operator's machine and
// written straight to the vault; it never passes through a template, a parameter or azd's state.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
  }
}

// The deployer needs no storage data role: azd deploys a Flex Consumption app through the app's
// publish endpoint (control plane), and the platform writes the package with the app's identity.
