// The vault of the client certificates and of the token cache key. Access is Azure RBAC only
// (no access policies); soft delete and purge protection keep a deleted certificate or key
// recoverable for softDeleteRetentionInDays, and nobody can purge it earlier.

param name string
param location string
param tags object = {}

@allowed([
  'standard'
  'premium'
])
@description('Premium keeps keys in HSMs (key type RSA-HSM), for certificates whose key signs in the vault.')
param skuName string = 'standard'

@minValue(7)
@maxValue(90)
@description('Days a deleted vault, certificate or secret stays recoverable (and its name reserved).')
param softDeleteRetentionInDays int = 7

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: skuName
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
