namespace TokenFunctions.Tests.Infrastructure;

/// <summary>Values that stand in for what only a real deployment knows (tenant, identity, vault, ...).</summary>
internal static class StandIn
{
    public const string TenantId = "11111111-1111-1111-1111-111111111111";
    public const string SubscriptionId = "22222222-2222-2222-2222-222222222222";
    public const string IdentityClientId = "33333333-3333-3333-3333-333333333333";
    public const string ClientId = "44444444-4444-4444-4444-444444444444";
    public const string CallerId = "55555555-5555-5555-5555-555555555555";
    public const string StorageAccount = "sttest";
    public const string VaultUri = "https://kv-test.vault.azure.net/";
    public const string ClientName = "orders";
    public const string ResourceGroup = "rg-test";
    public const string IdentityPrincipalId = "66666666-6666-6666-6666-666666666666";
    public const string DeployerPrincipalId = "77777777-7777-7777-7777-777777777777";
}
