using System.Text.Json.Nodes;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// <c>clientSignInKeyVault</c>: infra deploys <c>Certificate__SignInKeyVault</c> under the name the code
/// reads, and grants the app's identity Key Vault Crypto User then, and only then.
/// </summary>
public sealed class InfraKeyVaultSigningTests
{
    private const string Setting = $"Clients__{StandIn.ClientName}__Certificate__SignInKeyVault";

    public static TheoryData<string> Sources() => new(InfraTemplate.Sources());

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task Signing_in_key_vault_deploys_the_setting_the_code_reads_and_the_app_starts_with_it(string source)
    {
        var settings = InfraTemplate.AppSettings(source, parameters: Signing());

        Assert.Equal("True", settings[Setting]);
        Assert.True(CodeSettings.IsKnown(Setting));
        Assert.Empty(SettingsContract.CheckInfra(settings));
        var deployed = settings.ToDictionary(s => s.Key, s => (string?)(s.Value ?? InfraConsistencyTests.StandInFor(s.Key)));
        deployed["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]);
        await using var app = AppProcess.Start(deployed, new LoopbackRouting());
        Assert.IsType<KeyVaultSignedAssertionSource>(app.Client(StandIn.ClientName).AssertionSource);
        Assert.Null(app.Client(StandIn.ClientName).CertificateSource);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void By_default_the_first_client_downloads_its_certificate(string source)
    {
        Assert.Equal("False", InfraTemplate.AppSettings(source)[Setting]);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Signing_in_key_vault_adds_key_vault_crypto_user_on_the_vault_and_nothing_else(string source)
    {
        var parameters = Signing();
        parameters["principalId"] = StandIn.DeployerPrincipalId;

        var assignments = InfraRoles.Assignments(source, parameters: parameters);

        Assert.Empty(RoleContract.Check(assignments, deployerNamed: true, signingInKeyVault: true));
        Assert.Contains(assignments, a => a.Principal == InfraRoles.AppIdentity && RoleContract.BuiltInRoles[a.RoleDefinitionId] == "Key Vault Crypto User");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Without_signing_in_key_vault_no_crypto_role_is_granted(string source)
    {
        var assignments = InfraRoles.Assignments(source);

        Assert.DoesNotContain(assignments, a => RoleContract.BuiltInRoles.GetValueOrDefault(a.RoleDefinitionId) == "Key Vault Crypto User");
        Assert.Equal(
            ["app identity: Key Vault Crypto User on Microsoft.KeyVault/vaults is missing."],
            RoleContract.Check(assignments, deployerNamed: false, signingInKeyVault: true));
    }

    private static Dictionary<string, JsonNode?> Signing() =>
        new(InfraTemplate.TestParameters()) { ["clientSignInKeyVault"] = true };
}
