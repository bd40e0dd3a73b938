using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// A vault that cannot sign — unreachable, refusing the identity, or holding a disabled, expired or no
/// certificate — is a clear 503 naming the client, the vault and the key, and health shows it failing.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class KeyVaultSigningFailureTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private static readonly string[] AnotherScopes = ["api://another/.default"];
    private KeyVaultScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await StartAsync(uploadCertificate: true);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra.Entra;

    private FakeKeyVault Vault => _scenario.Vault;

    private IReadOnlyList<ReceivedTokenRequest> AppRequests => Entra.TokenRequestsOf(_scenario.Entra.ClientId);

    [Fact]
    public async Task A_key_disabled_after_it_signed_gives_a_503_once_the_next_assertion_is_due()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes })).Status);
        Vault.SetEnabled(KeyVaultScenario.CertificateName, LatestVersion(), enabled: false);

        time.Advance(TimeSpan.FromMinutes(8));
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        AssertUnavailable(_scenario, app, response, "Key Vault Crypto User");
        Assert.Equal("failing", await HealthOf(app));
        Assert.Single(AppRequests);
    }

    public static TheoryData<string, string> Problems => new()
    {
        { "forbidden", "'Key Vault Certificate User'" },
        { "sign_forbidden", "'Key Vault Crypto User'" },
        { "disabled", "is disabled" },
        { "expired", "expired" },
        { "unreachable", "could not be reached" },
        { "missing", "was not found" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public async Task A_vault_that_cannot_sign_gives_a_clear_503_naming_client_vault_and_key_and_health_shows_it(string problem, string explanation)
    {
        await using var fresh = await StartAsync(uploadCertificate: problem is "forbidden" or "sign_forbidden" or "unreachable");
        Arrange(fresh, problem);
        await using var app = fresh.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        AssertUnavailable(fresh, app, response, explanation);
        Assert.Equal("failing", await HealthOf(app));
        Assert.Equal(503, (await app.GetHealthAsync()).Status);
        Assert.Equal(0, fresh.Entra.Entra.TokenCalls(clientId: fresh.Entra.ClientId));
        Assert.Equal(0, fresh.Vault.SecretReads);
    }

    private async Task<KeyVaultScenario> StartAsync(bool uploadCertificate)
    {
        var scenario = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate);
        scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__SignInKeyVault"] = "true";
        scenario.Entra.Settings["Credentials__RefreshInterval"] = "00:01:00";
        return scenario;
    }

    private static void Arrange(KeyVaultScenario scenario, string problem)
    {
        var vault = scenario.Vault;
        const string name = KeyVaultScenario.CertificateName;
        switch (problem)
        {
            case "forbidden":
                vault.Fault = _ => Forbidden("Microsoft.KeyVault/vaults/certificates/read");
                break;
            case "sign_forbidden":
                vault.Fault = r => r.Path.Value!.EndsWith("/sign", StringComparison.Ordinal) ? Forbidden("Microsoft.KeyVault/vaults/keys/sign/action") : null;
                break;
            case "disabled":
                vault.AddVersion(name, scenario.Entra.Certificate, enabled: false);
                break;
            case "expired":
                using (var rsa = RSA.Create(2048))
                {
                    var request = new CertificateRequest("CN=TokenFunctions expired client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    using var expired = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
                    vault.AddVersion(name, X509CertificateLoader.LoadPkcs12(expired.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable));
                }

                break;
            case "unreachable":
                // The vault's name now leads to a port where nothing listens.
                using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
                {
                    listener.Start();
                    scenario.Entra.Routing.Map(vault.Host, ((IPEndPoint)listener.LocalEndpoint).Port);
                }

                break;
            default:
                break; // "missing": nothing uploaded.
        }
    }

    private static FakeResponse Forbidden(string action) => new(HttpStatusCode.Forbidden, new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = "Forbidden",
            ["message"] = $"Caller is not authorized to perform action on resource. Action: '{action}'",
            ["innererror"] = new JsonObject { ["code"] = "ForbiddenByRbac" },
        },
    });

    private static void AssertUnavailable(KeyVaultScenario scenario, AppProcess app, FunctionResponse response, string explanation)
    {
        Assert.Equal(503, response.Status);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        var description = response.Text("error_description")!;
        Assert.Contains(explanation, description);
        Assert.Contains($"'{EntraScenario.Client}'", description);
        Assert.Contains(scenario.Vault.Host, description);
        Assert.Contains($"key of certificate '{KeyVaultScenario.CertificateName}'", description);
        var texts = app.Logs.Lines.Select(l => l.Message + l.Exception).Append(response.Body).ToList();
        Assert.DoesNotContain(texts, t => t.Contains("PRIVATE KEY", StringComparison.Ordinal) || t.Contains("eyJ", StringComparison.Ordinal));
    }

    private static async Task<string?> HealthOf(AppProcess app) =>
        (await app.GetHealthAsync()).Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString();

    private string LatestVersion() =>
        Vault.Find(KeyVaultScenario.CertificateName, null)!.Version;
}
