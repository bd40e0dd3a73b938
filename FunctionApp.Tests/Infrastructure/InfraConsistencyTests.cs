using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// infra/main.bicep and local.settings.sample.json set exactly the settings the code reads: every
/// required one, none it ignores (a misspelt setting is silently ignored by the app, so it must fail
/// here instead). Run over the compiled template when the Bicep CLI is installed, and the Bicep text.
/// </summary>
public sealed partial class InfraConsistencyTests
{
    public static TheoryData<string> Sources() => new(InfraTemplate.Sources());

    [Theory]
    [MemberData(nameof(Sources))]
    public void Infra_sets_every_setting_the_code_needs_and_none_it_does_not(string source)
    {
        var settings = InfraTemplate.AppSettings(source);

        Assert.Empty(SettingsContract.CheckInfra(settings));
    }

    [Fact]
    public void The_local_settings_sample_sets_every_setting_a_local_run_needs_and_none_it_does_not()
    {
        Assert.Empty(SettingsContract.CheckLocalSample(LocalSample(File.ReadAllText(SamplePath))));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_required_setting_removed_from_infra_is_caught(string source)
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.EditMain(bicep => RemoveLine(bicep, "Http__RequestBudget: httpRequestBudget"));

        var problems = SettingsContract.CheckInfra(InfraTemplate.AppSettings(source, copy.Path));

        Assert.Equal(["Http__RequestBudget: the app reads it, infra does not set it."], problems);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_misspelt_setting_in_infra_is_caught(string source)
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.EditMain(bicep => bicep.Replace(
            "  Http__AttemptTimeout: httpAttemptTimeout\n",
            "  Http__AttemptTimeout: httpAttemptTimeout\n  Http__AttemptTimout: httpAttemptTimeout\n",
            StringComparison.Ordinal));

        var problems = SettingsContract.CheckInfra(InfraTemplate.AppSettings(source, copy.Path));

        Assert.Equal(["Http__AttemptTimout: infra sets it, but nothing reads it (misspelt, or no longer used?)."], problems);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_local_credential_or_a_platform_setting_in_infra_is_caught(string source)
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.EditMain(bicep => bicep.Replace(
            "  Http__AttemptTimeout: httpAttemptTimeout\n",
            "  Http__AttemptTimeout: httpAttemptTimeout\n  WEBSITE_AUTH_ENABLED: 'True'\n  'Clients__${clientName}__ClientSecret': clientName\n",
            StringComparison.Ordinal));

        var problems = SettingsContract.CheckInfra(InfraTemplate.AppSettings(source, copy.Path));

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("WEBSITE_AUTH_ENABLED: infra must not set it", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Clients__orders__ClientSecret: a local-development credential", StringComparison.Ordinal));
    }

    [Fact]
    public void A_required_setting_removed_from_the_sample_is_caught()
    {
        var sample = JsonNode.Parse(File.ReadAllText(SamplePath))!;
        sample["Values"]!.AsObject().Remove("AzureWebJobsStorage");

        var problems = SettingsContract.CheckLocalSample(LocalSample(sample.ToJsonString()));

        Assert.Equal(["AzureWebJobsStorage: a local run needs it, the sample does not set it."], problems);
    }

    [Fact]
    public void A_placeholder_client_in_the_sample_is_caught()
    {
        var sample = JsonNode.Parse(File.ReadAllText(SamplePath))!;
        sample["Values"]!["Clients__sample__ClientId"] = "00000000-0000-0000-0000-000000000000";

        var problems = SettingsContract.CheckLocalSample(LocalSample(sample.ToJsonString()));

        Assert.Equal(["Clients__sample__...: the sample must configure no client; the user adds their own (README, Run it locally)."], problems);
    }

    [Fact]
    public void A_misspelt_setting_in_the_sample_is_caught()
    {
        var sample = JsonNode.Parse(File.ReadAllText(SamplePath))!;
        sample["Values"]!["TokenCache__TableNmae"] = "tokencache";

        var problems = SettingsContract.CheckLocalSample(LocalSample(sample.ToJsonString()));

        Assert.Equal(["TokenCache__TableNmae: local.settings.sample.json sets it, but nothing reads it (misspelt, or no longer used?)."], problems);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task The_settings_infra_deploys_start_the_app(string source)
    {
        var settings = InfraTemplate.AppSettings(source).ToDictionary(s => s.Key, s => (string?)(s.Value ?? StandInFor(s.Key)));
        // The platform resolves the Key Vault reference before the app sees it.
        settings["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]);

        await using var app = AppProcess.Start(settings, new LoopbackRouting());

        Assert.Equal([StandIn.ClientName], app.Clients.Names);
        Assert.Empty(app.Requests.Entries);
    }

    [Fact]
    public void The_cache_key_is_a_Key_Vault_reference_resolved_with_the_app_identity()
    {
        var source = InfraTemplate.Sources().First();
        var settings = InfraTemplate.AppSettings(source);
        var bicep = File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "main.bicep"));
        var function = File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "app", "function.bicep"));

        Assert.Matches(@"\n  TokenCache__EncryptionKey: '@Microsoft\.KeyVault\(SecretUri=\$\{vault\.outputs\.uri\}secrets/\$\{tokenCacheKeySecretName\}\)'\n", bicep);
        Assert.Contains("keyVaultReferenceIdentity: identityId", function, StringComparison.Ordinal);
        if (source == InfraTemplate.Compiled)
        {
            Assert.Equal($"@Microsoft.KeyVault(SecretUri={StandIn.VaultUri}secrets/token-cache-key)", settings["TokenCache__EncryptionKey"]);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Infra_defaults_are_the_code_defaults(string source)
    {
        var settings = InfraTemplate.AppSettings(source);
        var compared = 0;
        foreach (var (section, type) in CodeSettings.Sections)
        {
            var defaults = Activator.CreateInstance(type)!;
            foreach (var property in type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
            {
                var codeDefault = property.GetValue(defaults);
                if (codeDefault is null || codeDefault is System.Collections.ICollection ||
                    !settings.TryGetValue($"{section}__{property.Name}", out var infraValue) || infraValue is null)
                {
                    continue;
                }

                Assert.True(Equals(codeDefault, Bind(infraValue, property.PropertyType)),
                    $"{section}__{property.Name}: infra's default '{infraValue}' differs from the code's '{codeDefault}'.");
                compared++;
            }
        }

        Assert.True(compared >= 9, $"Only {compared} defaults were compared.");
    }

    private static object? Bind(string value, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(TimeSpan) ? TimeSpan.Parse(value, CultureInfo.InvariantCulture)
            : type == typeof(string) ? value
            : Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

    internal static string StandInFor(string setting) => setting switch
    {
        _ when setting.EndsWith("KeyVaultUri", StringComparison.OrdinalIgnoreCase) => StandIn.VaultUri,
        _ when setting.EndsWith("Authority", StringComparison.OrdinalIgnoreCase) => "https://login.microsoftonline.com/" + StandIn.TenantId,
        _ when setting.EndsWith("accountName", StringComparison.OrdinalIgnoreCase) => StandIn.StorageAccount,
        _ when setting.EndsWith("ClientId", StringComparison.OrdinalIgnoreCase) || setting.EndsWith("CLIENT_ID", StringComparison.Ordinal) => StandIn.IdentityClientId,
        _ when setting.EndsWith("__Id", StringComparison.OrdinalIgnoreCase) => StandIn.CallerId,
        _ when ScopeSetting().IsMatch(setting) => "api://inventory/.default",
        _ when setting.EndsWith("__SecretSha256", StringComparison.OrdinalIgnoreCase) => new string('0', 64),
        _ when ResourceSetting().IsMatch(setting) => "api://inventory",
        _ => "stand-in",
    };

    private static string SamplePath => Path.Combine(RepositoryRoot.FullPath, "local.settings.sample.json");

    private static Dictionary<string, string?> LocalSample(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonNode.Parse(json)!["Values"]!.ToJsonString())!
            .ToDictionary(p => p.Key, p => (string?)p.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    private static string RemoveLine(string text, string line)
    {
        var edited = text.Replace("  " + line + "\n", "", StringComparison.Ordinal);
        Assert.NotEqual(text, edited);
        return edited;
    }

    [GeneratedRegex(@"__Scopes__\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex ScopeSetting();

    [GeneratedRegex(@"__Resources__\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex ResourceSetting();
}
