using System.Text.RegularExpressions;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// What infra/main.bicep and local.settings.sample.json must set, and must not, measured against
/// <see cref="CodeSettings"/>. Each check returns the problems it found, each naming the setting.
/// </summary>
internal static partial class SettingsContract
{
    /// <summary>Settings infra must never set, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> ForbiddenInInfra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage"] = "a connection string carries the account key; the account has shared keys disabled (use AzureWebJobsStorage__accountName)",
        ["FUNCTIONS_WORKER_RUNTIME"] = "Flex Consumption takes the runtime from functionAppConfig and rejects this setting",
        ["FUNCTIONS_EXTENSION_VERSION"] = "Flex Consumption rejects this setting",
        ["WEBSITE_AUTH_ENABLED"] = "the platform sets it when App Service Authentication is on; set by hand it makes X-MS-CLIENT-PRINCIPAL forgeable",
        ["REGION_NAME"] = "the platform sets it",
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development would mean a random cache key and the developer credential chain",
        ["DOTNET_ENVIRONMENT"] = "Development would mean a random cache key and the developer credential chain",
    };

    /// <summary>Client settings that hold or point at a local secret: never in infra.</summary>
    private static readonly string[] ForbiddenClientSuffixes = ["__ClientSecret", "__Certificate__Path", "__Certificate__Password"];

    /// <summary>Scalar section settings infra need not set, and why.</summary>
    private static readonly IReadOnlyDictionary<string, string> NotRequiredInInfra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Credentials__ManagedIdentityClientId"] = "infra names the identity with AZURE_CLIENT_ID, which the code reads when this is absent",
    };

    /// <summary>Set by infra for the host and the identity, whatever the code's sections say.</summary>
    private static readonly string[] RequiredInInfra =
    [
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AZURE_CLIENT_ID",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    /// <summary>What infra sets for each client: a Key Vault certificate, an Entra authority, a region.</summary>
    private static readonly string[] RequiredPerClientInInfra =
        ["ClientId", "Authority", "Certificate__KeyVaultUri", "Certificate__Name", "AzureRegion"];

    public static IReadOnlyList<string> CheckInfra(IReadOnlyDictionary<string, string?> settings)
    {
        var problems = new List<string>();
        problems.AddRange(Unknown(settings.Keys, "infra"));

        var required = RequiredInInfra
            .Concat(CodeSettings.Sections.SelectMany(s => CodeSettings.Paths(s.Value, s.Key + "__"))
                .Where(p => !p.Contains('{', StringComparison.Ordinal) && !NotRequiredInInfra.ContainsKey(p)))
            .Concat(CodeSettings.BindingExpressions);
        problems.AddRange(required.Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(name => !settings.ContainsKey(name))
            .Select(name => $"{name}: the app reads it, infra does not set it."));

        var clients = ClientNames(settings.Keys).ToList();
        if (clients.Count == 0)
        {
            problems.Add("Clients__{name}__...: infra configures no client.");
        }

        foreach (var client in clients)
        {
            problems.AddRange(RequiredPerClientInInfra
                .Select(suffix => $"Clients__{client}__{suffix}")
                .Where(name => !settings.ContainsKey(name))
                .Select(name => $"{name}: required for a client with a Key Vault certificate, infra does not set it."));
        }

        foreach (var name in settings.Keys)
        {
            if (ForbiddenInInfra.TryGetValue(name, out var why))
            {
                problems.Add($"{name}: infra must not set it: {why}.");
            }
            else if (name.StartsWith("Clients__", StringComparison.OrdinalIgnoreCase) &&
                     ForbiddenClientSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"{name}: a local-development credential; in Azure the certificate comes from Key Vault.");
            }
        }

        return problems;
    }

    public static IReadOnlyList<string> CheckLocalSample(IReadOnlyDictionary<string, string?> settings)
    {
        var problems = new List<string>();
        problems.AddRange(Unknown(settings.Keys, "local.settings.sample.json"));

        var required = new[] { "AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME" }
            .Concat(CodeSettings.BindingExpressions);
        problems.AddRange(required.Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(name => !settings.ContainsKey(name))
            .Select(name => $"{name}: a local run needs it, the sample does not set it."));

        // A placeholder client passes start-up validation and can only fail at its first request, far from
        // the setting to fix; with none, a request names the settings to add (TokenError.UnknownClient).
        problems.AddRange(ClientNames(settings.Keys).Select(client =>
            $"Clients__{client}__...: the sample must configure no client; the user adds their own (README, Run it locally)."));
        return problems;
    }

    private static IEnumerable<string> Unknown(IEnumerable<string> names, string where) => names
        .Where(name => !CodeSettings.IsKnown(name))
        .Select(name => $"{name}: {where} sets it, but nothing reads it (misspelt, or no longer used?).");

    private static IEnumerable<string> ClientNames(IEnumerable<string> names) => names
        .Select(n => ClientSetting().Match(n))
        .Where(m => m.Success)
        .Select(m => m.Groups[1].Value)
        .Distinct(StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex("^Clients__([^_]+(?:_[^_]+)*)__", RegexOptions.IgnoreCase)]
    private static partial Regex ClientSetting();
}
