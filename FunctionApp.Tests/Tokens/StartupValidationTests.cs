using Microsoft.Extensions.Options;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>A configuration that can only fail later stops the app at start, naming the setting.</summary>
public sealed class StartupValidationTests
{
    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Clients__orders__ClientId"] = "00000000-0000-0000-0000-000000000001",
        ["Clients__orders__Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        ["Clients__orders__ClientSecret"] = "not-used",
        ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
        ["Prewarm__Schedule"] = "0 */5 * * * *",
        ["Prewarm__Targets__0__Client"] = "orders",
        ["Prewarm__Targets__0__Scopes__0"] = "api://inventory/.default",
    };

    [Fact]
    public async Task A_valid_configuration_starts()
    {
        await using var app = AppProcess.Start(ValidSettings(), new LoopbackRouting());

        Assert.Equal(["orders"], app.Clients.Names);
    }

    [Theory]
    [InlineData("Clients__orders__ClientId", null, "Clients__orders__ClientId is required")]
    [InlineData("Clients__orders__Authority", null, "Clients__orders__Authority or Clients__orders__OidcAuthority is required")]
    [InlineData("Clients__orders__Authority", "http://login.microsoftonline.com/x", "must be an absolute https URL")]
    [InlineData("Clients__orders__ClientSecret", null, "exactly one credential")]
    [InlineData("Clients__orders__Certificate__Path", "/tmp/also.pfx", "exactly one credential")]
    [InlineData("Clients__orders__AllowBroker", "true", "AllowBroker is not supported")]
    [InlineData("AzureWebJobsStorage", null, "AzureWebJobsStorage is required")]
    [InlineData("TokenCache__TableName", "token-cache", "TokenCache__TableName must be")]
    [InlineData("Http__AttemptTimeout", "00:10:00", "AttemptTimeout")]
    [InlineData("TokenCache__EncryptionKey", null, "TokenCache__EncryptionKey is required outside Development")]
    [InlineData("Prewarm__Schedule", "every five minutes", "is not a six-field NCRONTAB expression")]
    [InlineData("Prewarm__Schedule", "*/5 * * * *", "is not a six-field NCRONTAB expression")]
    [InlineData("Prewarm__Targets__0__Client", "nobody", "Prewarm__Targets__0__Client 'nobody' is not a configured client")]
    [InlineData("Prewarm__Targets__0__Scopes__0", null, "Prewarm__Targets__0__Scopes needs at least one scope")]
    [InlineData("Clients__orders__AzureRegion", "east us 2!", "AzureRegion must be empty")]
    [InlineData("Clients__orders__ExcludeScopes__0", "User.Read", "cannot be excluded")]
    [InlineData("Clients__orders__Certificate__KeyVaultUri", "https://v.vault.azure.net/", "exactly one credential")]
    [InlineData("TokenCache__EncryptionKey", "c2hvcnQ=", "TokenCache__EncryptionKey must be the base64 of exactly 32 bytes")]
    [InlineData("TokenCache__EncryptionKey", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/token-cache-key)", "TokenCache__EncryptionKey is a Key Vault reference that did not resolve")]
    public void A_bad_setting_stops_the_app_at_start_with_a_message_naming_it(string setting, string? value, string message)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_settings_of_several_areas_are_reported_together_so_one_deployment_fixes_them_all()
    {
        var settings = ValidSettings();
        settings["Http__AttemptTimeout"] = "00:10:00";
        settings["Prewarm__Schedule"] = "every five minutes";
        settings["Clients__orders__AzureRegion"] = "east us 2!";

        var failure = Assert.Throws<AggregateException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        var messages = failure.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.Contains(messages, m => m.Contains("AttemptTimeout", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("is not a six-field NCRONTAB expression", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("AzureRegion must be empty", StringComparison.Ordinal));
    }

    private const string CallerPrefix = "Clients__orders__ManagedIdentityCallers__0__";
    private const string SecretHash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    private static Dictionary<string, string?> WithManagedIdentityCaller()
    {
        var settings = ValidSettings();
        settings[CallerPrefix + "Name"] = "ci";
        settings[CallerPrefix + "SecretSha256"] = SecretHash;
        settings[CallerPrefix + "Resources__0"] = "api://inventory";
        return settings;
    }

    [Fact]
    public async Task A_client_with_managed_identity_callers_starts()
    {
        await using var app = AppProcess.Start(WithManagedIdentityCaller(), new LoopbackRouting());

        Assert.True(app.Services.GetService(typeof(TokenFunctions.Callers.ManagedIdentityCallers)) is TokenFunctions.Callers.ManagedIdentityCallers callers && callers.Serves("orders"));
    }

    [Theory]
    [InlineData(CallerPrefix + "Name", null, CallerPrefix + "Name is required")]
    [InlineData(CallerPrefix + "SecretSha256", null, CallerPrefix + "SecretSha256 must be the lowercase hex SHA-256")]
    [InlineData(CallerPrefix + "SecretSha256", "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8", CallerPrefix + "SecretSha256 must be the lowercase hex SHA-256")]
    [InlineData(CallerPrefix + "SecretSha256", "correct-horse-battery-staple", CallerPrefix + "SecretSha256 must be the lowercase hex SHA-256")]
    [InlineData(CallerPrefix + "Resources__0", null, CallerPrefix + "Resources needs at least one resource")]
    [InlineData(CallerPrefix + "Resources__0", "api://inventory/.default", CallerPrefix + "Resources__0: 'api://inventory/.default' is a scope")]
    [InlineData(CallerPrefix + "Resources__0", "api://a api://b", CallerPrefix + "Resources__0: 'api://a api://b' is not a resource")]
    [InlineData("Clients__orders__ManagedIdentityCallers__1__Name", "ci", "Clients__orders__ManagedIdentityCallers__1__Name: 'ci' names another caller")]
    [InlineData("Clients__orders__ManagedIdentityCallers__1__SecretSha256", SecretHash, "Clients__orders__ManagedIdentityCallers__1__SecretSha256 is another caller's too")]
    [InlineData("Clients__orders__OidcAuthority", "https://idp.contoso.test", "Clients__orders__OidcAuthority cannot serve it")]
    public void A_bad_managed_identity_caller_stops_the_app_at_start_with_a_message_naming_it(string setting, string? value, string message)
    {
        var settings = WithManagedIdentityCaller();
        if (value is null)
        {
            settings.Remove(setting);
        }
        else
        {
            settings[setting] = value;
        }

        if (setting.Contains("__1__", StringComparison.Ordinal))
        {
            settings.TryAdd("Clients__orders__ManagedIdentityCallers__1__Name", "other");
            settings.TryAdd("Clients__orders__ManagedIdentityCallers__1__SecretSha256", new string('a', 64));
            settings["Clients__orders__ManagedIdentityCallers__1__Resources__0"] = "api://inventory";
        }

        if (setting.EndsWith("OidcAuthority", StringComparison.Ordinal))
        {
            settings.Remove("Clients__orders__Authority");
        }

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TokenCache__TableName", "a-b", "TokenCache__TableName must be 3-63 letters and digits")]
    [InlineData("TokenCache__OperationTimeout", "00:05:00", "OperationTimeout")]
    [InlineData("Http__RegionalFailureThreshold", "0", "RegionalFailureThreshold")]
    [InlineData("Credentials__RefreshInterval", "00:00:10", "RefreshInterval")]
    [InlineData("Prewarm__MaxParallelism", "0", "MaxParallelism")]
    public void A_setting_outside_its_range_stops_the_app_at_start_with_a_message_naming_it(string setting, string value, string message)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_development_a_missing_encryption_key_is_allowed()
    {
        var settings = ValidSettings();
        settings["TokenCache__EncryptionKey"] = null;
        settings["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development";

        await using var app = AppProcess.Start(settings, new LoopbackRouting());

        Assert.Equal(["orders"], app.Clients.Names);
    }

    [Fact]
    public void A_client_name_that_cannot_be_a_url_segment_is_refused()
    {
        var settings = ValidSettings();
        settings["Clients__or ders__ClientId"] = "x";

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains("'or ders'", StringComparison.Ordinal));
    }
}
