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

/// <summary>Certificates from Key Vault, loaded only when Entra must be called, rotated without a restart.</summary>
[Collection(UsesAzurite.Name)]
public sealed class KeyVaultCertificateTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private static readonly string[] AnotherScopes = ["api://another/.default"];
    private KeyVaultScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await KeyVaultScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra.Entra;

    private FakeKeyVault Vault => _scenario.Vault;

    /// <summary>The client's own token requests (not the broker identity's vault token).</summary>
    private IReadOnlyList<ReceivedTokenRequest> AppRequests => Entra.TokenRequestsOf(_scenario.Entra.ClientId);

    [Fact]
    public async Task Start_up_and_warm_hits_make_no_key_vault_call_and_the_first_entra_call_makes_one_download()
    {
        await using var app = _scenario.StartProcess();
        Assert.Empty(Vault.Served);

        var first = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        Assert.Equal(200, first.Status);
        Assert.Equal(["GET /certificates/orders-client/", $"GET /secrets/orders-client/{VersionOf(first)}"], Vault.Served);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("cache", (await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes })).Text("token_source"));
        }

        Assert.Equal(2, Vault.Served.Count);
        Assert.Equal(S256(_scenario.Entra.Certificate), SigningThumbprint(AppRequests.Single()));
    }

    [Fact]
    public async Task A_cold_start_with_a_cached_token_makes_no_key_vault_call()
    {
        await using (var warm = _scenario.StartProcess())
        {
            await warm.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        }

        var served = Vault.Served.Count;
        await using var cold = _scenario.StartProcess();
        var response = await cold.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal("cache", response.Text("token_source"));
        Assert.Equal(served, Vault.Served.Count);
    }

    [Fact]
    public async Task Fifty_concurrent_first_calls_share_one_download()
    {
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.AcquireTokenForClientAsync([$"api://resource-{i}/.default"], null, default).AsTask()));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.Description));
        Assert.Equal(1, Vault.SecretReads);
        Assert.Equal(50, AppRequests.Count);
    }

    [Fact]
    public async Task A_newer_version_is_picked_up_after_the_refresh_interval_without_a_restart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var next = _scenario.RotateCertificate();

        time.Advance(TimeSpan.FromHours(6));
        await CertificateSource(client).LastRefresh;
        await client.AcquireTokenForClientAsync(["api://another/.default"], null, default);

        Assert.Equal(S256(next), SigningThumbprint(AppRequests[^1]));
        Assert.Equal(2, Vault.SecretReads);
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 3002);
    }

    [Fact]
    public async Task A_certificate_entra_rejects_is_replaced_by_the_vaults_newer_version_and_the_request_retried_once()
    {
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var next = _scenario.RotateCertificate();
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, response.Status);
        var attempts = AppRequests.Where(r => r.Form["scope"] == "api://another/.default").ToList();
        Assert.Equal([S256(_scenario.Entra.Certificate), S256(next)], attempts.Select(SigningThumbprint));
    }

    [Fact]
    public async Task A_newer_version_entra_does_not_accept_yet_gives_way_to_the_previous_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        time.Advance(TimeSpan.FromHours(6));
        await CertificateSource(client).LastRefresh;

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, response.Status);
        var attempts = AppRequests.Where(r => r.Form["scope"] == AnotherScopes[0]).ToList();
        Assert.Equal([S256(unregistered), S256(_scenario.Entra.Certificate)], attempts.Select(SigningThumbprint));
    }

    [Fact]
    public async Task A_rejected_certificate_with_nothing_newer_fails_once_with_a_clear_error()
    {
        await using var app = _scenario.StartProcess();
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(502, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Contains("no newer version", response.Text("error_description"));
        Assert.Contains(KeyVaultScenario.CertificateName, response.Text("error_description"));
        Assert.Equal(700027, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.Single(AppRequests);
        Assert.Equal(1, Vault.SecretReads);
        Assert.Equal(1, Vault.VersionListings);
    }

    public static TheoryData<string, string> BadCertificates => new()
    {
        { "no_private_key", "has no private key" },
        { "expired", "expired" },
        { "not_yet_valid", "not valid before" },
        { "disabled", "refused" },
        { "wrong_content_type", "not a PKCS#12 or PEM certificate" },
        { "forbidden", "Key Vault Certificate User" },
        { "unreachable", "could not be reached" },
        { "missing", "was not found" },
    };

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public async Task A_bad_certificate_gives_a_clear_503_naming_client_vault_and_certificate_and_health_shows_it(string problem, string explanation)
    {
        await using var fresh = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate: false);
        using var certificate = Arrange(fresh, problem);
        await using var app = fresh.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        var health = await app.GetHealthAsync();

        Assert.Equal(503, response.Status);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        var description = response.Text("error_description")!;
        Assert.Contains(explanation, description);
        Assert.Contains($"'{EntraScenario.Client}'", description);
        Assert.Contains(fresh.Vault.Host, description);
        Assert.Contains(KeyVaultScenario.CertificateName, description);
        Assert.Equal("failing", health.Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString());
        Assert.Equal(503, health.Status);
        Assert.Equal(0, fresh.Entra.Entra.TokenCalls(clientId: fresh.Entra.ClientId));
        AssertNoKeyMaterial(app, response, certificate);
    }

    [Fact]
    public async Task A_pem_certificate_works_like_a_pfx()
    {
        await using var fresh = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate: false);
        fresh.Vault.AddVersion(KeyVaultScenario.CertificateName, fresh.Entra.Certificate, contentType: "application/x-pem-file");
        await using var app = fresh.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Send_x5c_puts_the_certificate_chain_in_the_assertion_and_client_claims_are_signed_into_it()
    {
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__SendX5c"] = "true";
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__ClientClaims__xms_az_claim"] = "workload-7";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(200, response.Status);
        var request = AppRequests.Single();
        var x5c = request.Assertion!.HeaderJson.GetProperty("x5c");
        // MSAL.NET sends the leaf certificate as one string (Entra accepts it so), not a JWS array.
        var leaf = x5c.ValueKind == System.Text.Json.JsonValueKind.Array ? x5c[0].GetString() : x5c.GetString();
        Assert.Equal(Convert.ToBase64String(_scenario.Entra.Certificate.RawData), leaf);
        Assert.Equal("workload-7", request.Assertion.Claim("xms_az_claim"));
        Assert.Equal(_scenario.Entra.ClientId, request.Assertion.Claim("iss"));
    }

    private static X509Certificate2? Arrange(KeyVaultScenario scenario, string problem)
    {
        var vault = scenario.Vault;
        const string name = KeyVaultScenario.CertificateName;
        switch (problem)
        {
            case "no_private_key":
                vault.AddVersion(name, scenario.Entra.Certificate, withPrivateKey: false);
                return null;
            case "expired":
                var expired = CertificateValidFor(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
                vault.AddVersion(name, expired);
                return expired;
            case "not_yet_valid":
                var future = CertificateValidFor(DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(30));
                vault.AddVersion(name, future);
                return future;
            case "disabled":
                vault.AddVersion(name, scenario.Entra.Certificate, enabled: false);
                return null;
            case "wrong_content_type":
                vault.AddVersion(name, scenario.Entra.Certificate, contentType: "application/octet-stream");
                return null;
            case "forbidden":
                vault.AddVersion(name, scenario.Entra.Certificate);
                vault.Fault = _ => new FakeResponse(HttpStatusCode.Forbidden, new JsonObject
                {
                    ["error"] = new JsonObject { ["code"] = "Forbidden", ["message"] = "Caller is not authorized to perform action on resource." },
                });
                return null;
            case "unreachable":
                // The vault's name now leads to a port where nothing listens.
                scenario.Entra.Routing.Map(vault.Host, ClosedPort());
                return null;
            default:
                return null; // "missing": nothing uploaded.
        }
    }

    private static void AssertNoKeyMaterial(AppProcess app, FunctionResponse response, X509Certificate2? extra)
    {
        var texts = app.Logs.Lines.Select(l => l.Message + l.Exception).Append(response.Body).ToList();
        Assert.DoesNotContain(texts, t => t.Contains("PRIVATE KEY", StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Contains("broker-identity-test-secret", StringComparison.Ordinal));
        if (extra is not null)
        {
            var pfx = Convert.ToBase64String(extra.Export(X509ContentType.Pkcs12))[..40];
            Assert.DoesNotContain(texts, t => t.Contains(pfx, StringComparison.Ordinal));
        }
    }

    private static X509Certificate2 CertificateValidFor(DateTimeOffset from, DateTimeOffset to)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=TokenFunctions out-of-date client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(from, to);
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static KeyVaultCertificateSource CertificateSource(TokenFunctions.Tokens.ConfidentialClient client) =>
        Assert.IsType<KeyVaultCertificateSource>(client.CertificateSource);

    private string VersionOf(FunctionResponse _) => Vault.Served.Last().Split('/').Last();

    /// <summary>Which certificate signed the assertion, by its SHA-256 thumbprint (x5t#S256).</summary>
    private static string SigningThumbprint(ReceivedTokenRequest request) => request.Assertion!.Header("x5t#S256")!;

    private static string S256(X509Certificate2 certificate) => FakeEntraId.Base64Url(SHA256.HashData(certificate.RawData));
}
