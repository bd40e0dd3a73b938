using Microsoft.Extensions.Options;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// <c>Clients__{name}__ManagedIdentityAssertion__...</c> is checked at start like every other credential:
/// exactly one per client, and nothing configured beside it that it cannot honour.
/// </summary>
public sealed class ManagedIdentityAssertionSettingsTests
{
    private const string Prefix = "Clients__orders__";

    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
        [Prefix + "ClientId"] = "00000000-0000-0000-0000-000000000001",
        [Prefix + "Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        [Prefix + "ManagedIdentityAssertion__Enabled"] = "true",
    };

    [Fact]
    public async Task A_client_whose_only_credential_is_the_managed_identity_starts_and_asks_for_nothing_until_entra_is_called()
    {
        var settings = ValidSettings();
        settings[Prefix + "ManagedIdentityAssertion__ClientId"] = Guid.NewGuid().ToString();
        settings[Prefix + "ManagedIdentityAssertion__Audience"] = ManagedIdentityAssertionOptions.USGovernmentAudience;

        await using var app = AppProcess.Start(settings, new LoopbackRouting());

        Assert.Equal(CredentialState.NotYetNeeded, app.Client("orders").CredentialStatus.State);
        Assert.Empty(app.Requests.Entries);
    }

    [Theory]
    [InlineData(Prefix + "ClientSecret", "also-a-secret", Prefix + ": configure exactly one credential")]
    [InlineData(Prefix + "Certificate__Path", "/tmp/also.pfx", Prefix + ": configure exactly one credential")]
    [InlineData(Prefix + "ManagedIdentityAssertion__ClientId", "my-identity", Prefix + "ManagedIdentityAssertion__ClientId must be the client id (a GUID)")]
    [InlineData(Prefix + "ManagedIdentityAssertion__Audience", "api://AzureADTokenExchange/.default", Prefix + "ManagedIdentityAssertion__Audience is the federated credential's audience as registered")]
    [InlineData(Prefix + "ClientClaims__xms_ref", "orders", Prefix + "ClientClaims cannot be used with " + Prefix + "ManagedIdentityAssertion__Enabled")]
    public void A_setting_the_managed_identity_cannot_honour_stops_the_app_at_start_naming_it(string setting, string value, string message)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_generic_oidc_authority_cannot_take_the_managed_identitys_token()
    {
        var settings = ValidSettings();
        settings[Prefix + "Authority"] = null;
        settings[Prefix + "OidcAuthority"] = "https://idp.contoso.test";

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(Prefix + "ManagedIdentityAssertion__Enabled needs " + Prefix + "Authority (Entra)", StringComparison.Ordinal));
    }

    [Fact]
    public void Identity_settings_without_enabling_it_are_refused_rather_than_ignored()
    {
        var settings = ValidSettings();
        settings[Prefix + "ManagedIdentityAssertion__Enabled"] = "false";
        settings[Prefix + "ManagedIdentityAssertion__ClientId"] = Guid.NewGuid().ToString();
        settings[Prefix + "ClientSecret"] = "the-credential";

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(Prefix + "ManagedIdentityAssertion__ClientId and " + Prefix + "ManagedIdentityAssertion__Audience apply only with", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com", null, "api://AzureADTokenExchange")]
    [InlineData("https://login.microsoftonline.us/contoso.onmicrosoft.us", null, "api://AzureADTokenExchangeUSGov")]
    [InlineData("https://login.chinacloudapi.cn/contoso.partner.onmschina.cn", null, "api://AzureADTokenExchangeChina")]
    [InlineData("https://login.partner.microsoftonline.cn/contoso.partner.onmschina.cn", null, "api://AzureADTokenExchangeChina")]
    [InlineData("https://login.microsoftonline.us/contoso.onmicrosoft.us", "api://my-exchange", "api://my-exchange")]
    public void The_audience_defaults_to_the_token_exchange_audience_of_the_authoritys_cloud(string authority, string? configured, string expected)
    {
        var options = new ManagedIdentityAssertionOptions { Enabled = true, Audience = configured };

        Assert.Equal(expected, options.AudienceFor(authority));
    }
}
