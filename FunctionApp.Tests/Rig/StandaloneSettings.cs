namespace TokenFunctions.Tests.Rig;

/// <summary>Settings for an instance that starts and runs without any fake: no Table, Entra or Key Vault call.</summary>
public static class StandaloneSettings
{
    /// <summary>One client with a secret and a development storage account that is never reached.</summary>
    public static IReadOnlyDictionary<string, string?> OneClientWithSecret { get; } = new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Clients__orders__ClientId"] = "00000000-0000-0000-0000-000000000001",
        ["Clients__orders__Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        ["Clients__orders__ClientSecret"] = "not-used",
        ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
    };
}
