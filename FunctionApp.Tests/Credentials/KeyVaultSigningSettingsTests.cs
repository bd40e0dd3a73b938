using Microsoft.Extensions.Options;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary><c>Certificate__SignInKeyVault</c> is checked at start: it signs with a vault's key, so it needs the vault and nothing local.</summary>
public sealed class KeyVaultSigningSettingsTests
{
    private const string Prefix = "Clients__orders__Certificate__";

    private static Dictionary<string, string?> Settings() => new()
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
        ["Clients__orders__ClientId"] = "00000000-0000-0000-0000-000000000001",
        ["Clients__orders__Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        [Prefix + "KeyVaultUri"] = "https://orders-vault.vault.azure.net/",
        [Prefix + "Name"] = "orders-client",
        [Prefix + "SignInKeyVault"] = "true",
    };

    [Fact]
    public async Task A_client_signing_in_key_vault_starts_without_touching_the_vault_and_has_no_certificate_to_download()
    {
        await using var app = AppProcess.Start(Settings(), new LoopbackRouting());
        var client = app.Client("orders");

        Assert.Null(client.CertificateSource);
        Assert.IsType<KeyVaultSignedAssertionSource>(client.AssertionSource);
        Assert.Equal(CredentialState.NotYetNeeded, client.CredentialStatus.State);
        Assert.Empty(app.Requests.Entries);
    }

    [Theory]
    [InlineData(Prefix + "KeyVaultUri", null)]
    [InlineData(Prefix + "Path", "/tmp/orders.pfx")]
    [InlineData(Prefix + "Password", "pfx-password")]
    public void Signing_in_key_vault_without_the_vault_or_with_a_local_file_stops_the_app_naming_the_setting(string setting, string? value)
    {
        var settings = Settings();
        settings[setting] = value;
        if (setting.EndsWith("KeyVaultUri", StringComparison.Ordinal))
        {
            settings.Remove(Prefix + "Name");
            settings["Clients__orders__ClientSecret"] = "not-used";
        }

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.StartsWith(
            $"{Prefix}SignInKeyVault signs with a key in Key Vault: it needs {Prefix}KeyVaultUri and {Prefix}Name, and no {Prefix}Path or {Prefix}Password.",
            StringComparison.Ordinal));
    }
}
