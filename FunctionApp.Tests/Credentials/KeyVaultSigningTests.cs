using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// A certificate whose key signs inside Key Vault (<c>Certificate__SignInKeyVault</c>): the worker reads
/// only the public part, never the secret; Entra gets the assertion it documents; a signed assertion is
/// reused per token endpoint, so the vault signs rarely.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class KeyVaultSigningTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Region = "westus2";
    private const string SignInKeyVault = $"Clients__{EntraScenario.Client}__Certificate__SignInKeyVault";
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private KeyVaultScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate: false);
        _scenario.Entra.Settings[SignInKeyVault] = "true";
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra.Entra;

    private FakeKeyVault Vault => _scenario.Vault;

    private IReadOnlyList<ReceivedTokenRequest> AppRequests => Entra.TokenRequestsOf(_scenario.Entra.ClientId);

    [Fact]
    public async Task Entra_gets_a_PS256_assertion_signed_in_the_vault_which_never_serves_the_secret()
    {
        var version = Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        await using var app = _scenario.StartProcess();
        Assert.Empty(Vault.Served);

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(200, response.Status);
        Assert.Equal(["GET /certificates/orders-client", $"POST /keys/orders-client/{version}/sign"], Vault.Served);
        Assert.Equal(0, Vault.SecretReads);
        var assertion = AppRequests.Single().Assertion!;
        Assert.Equal("PS256", assertion.Header("alg"));
        Assert.Equal("JWT", assertion.Header("typ"));
        Assert.Equal(S256(_scenario.Entra.Certificate), assertion.Header("x5t#S256"));
        Assert.False(assertion.HeaderJson.TryGetProperty("x5c", out _));
        Assert.Equal($"https://{FakeEntraId.GlobalHost}/{_scenario.Entra.Tenant}/oauth2/v2.0/token", assertion.Claim("aud"));
        Assert.Equal(_scenario.Entra.ClientId, assertion.Claim("iss"));
        Assert.Equal(_scenario.Entra.ClientId, assertion.Claim("sub"));
        Assert.True(Guid.TryParse(assertion.Claim("jti"), out _));
        var nbf = assertion.NumericClaim("nbf")!.Value;
        Assert.Equal(nbf, assertion.NumericClaim("iat"));
        Assert.Equal(nbf + 600, assertion.NumericClaim("exp"));
        Assert.Equal("loaded", (await app.GetHealthAsync()).Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString());
    }

    [Fact]
    public async Task A_non_exportable_certificate_signs_in_the_vault_though_it_cannot_be_downloaded()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate, exportable: false);
        _scenario.Entra.Settings.Remove(SignInKeyVault);
        await using (var downloading = _scenario.StartProcess())
        {
            var refused = await downloading.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
            Assert.Equal(503, refused.Status);
            Assert.Contains("has no private key", refused.Text("error_description"));
        }

        _scenario.Entra.Settings[SignInKeyVault] = "true";
        var served = Vault.Served.Count;
        await using var app = _scenario.StartProcess();
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://another/.default" } });

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain(Vault.Served.Skip(served), s => s.StartsWith("GET /secrets/", StringComparison.Ordinal));
        Assert.Equal(1, Vault.Signs);
    }

    [Fact]
    public async Task A_hundred_misses_sign_once_per_token_endpoint_regional_and_global_apart()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        Entra.RouteEntraHosts(_scenario.Entra.Routing, Region);
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = Region;
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        for (var i = 0; i < 50; i++)
        {
            Assert.True((await client.AcquireTokenForClientAsync([$"api://regional-{i}/.default"], null, default)).Succeeded);
        }

        // The region fails from now on: requests fail over to the global endpoint, another audience.
        Entra.Fault = r => r.Host == $"{Region}.login.microsoft.com" ? new FakeResponse(HttpStatusCode.InternalServerError, null) : null;
        for (var i = 0; i < 50; i++)
        {
            Assert.True((await client.AcquireTokenForClientAsync([$"api://global-{i}/.default"], null, default)).Succeeded);
        }

        Assert.Equal(2, Vault.Signs);
        var regional = AppRequests.Where(r => r.Host == $"{Region}.login.microsoft.com").ToList();
        var global = AppRequests.Where(r => r.Host == FakeEntraId.GlobalHost).ToList();
        Assert.Equal(50, global.Count);
        Assert.True(regional.Count >= 50);
        Assert.Single(regional.Select(r => r.Form["client_assertion"]).Distinct());
        Assert.Single(global.Select(r => r.Form["client_assertion"]).Distinct());
        Assert.Equal($"https://{Region}.login.microsoft.com/{_scenario.Entra.Tenant}/oauth2/v2.0/token", regional[0].Assertion!.Claim("aud"));
        Assert.Equal($"https://{FakeEntraId.GlobalHost}/{_scenario.Entra.Tenant}/oauth2/v2.0/token", global[0].Assertion!.Claim("aud"));
    }

    [Fact]
    public async Task Fifty_concurrent_first_calls_share_one_read_and_one_sign()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.AcquireTokenForClientAsync([$"api://resource-{i}/.default"], null, default).AsTask()));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.Description));
        Assert.Equal(1, Vault.Signs);
        Assert.Equal(1, Vault.Served.Count(s => s.StartsWith("GET /certificates/", StringComparison.Ordinal)));
        Assert.Equal(50, AppRequests.Count);
    }

    [Fact]
    public async Task An_assertion_is_reused_until_two_minutes_before_it_expires_then_signed_anew()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var source = app.Client(EntraScenario.Client).AssertionSource!;
        var endpoint = $"https://{FakeEntraId.GlobalHost}/{_scenario.Entra.Tenant}/oauth2/v2.0/token";

        var first = await source.GetAssertionAsync(endpoint, default);
        time.Advance(TimeSpan.FromMinutes(8) - TimeSpan.FromSeconds(1));
        var reused = await source.GetAssertionAsync(endpoint, default);
        time.Advance(TimeSpan.FromSeconds(1));
        var renewed = await source.GetAssertionAsync(endpoint, default);

        Assert.Equal(first, reused);
        Assert.NotEqual(first, renewed);
        Assert.Equal(2, Vault.Signs);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), AssertionJwt.TryParse(renewed.Value)!.NumericClaim("nbf"));
    }

    [Fact]
    public async Task Send_x5c_and_client_claims_are_signed_into_the_assertion()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__SendX5c"] = "true";
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__ClientClaims__xms_az_claim"] = "workload-7";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(200, response.Status);
        var assertion = AppRequests.Single().Assertion!;
        Assert.Equal([Convert.ToBase64String(_scenario.Entra.Certificate.RawData)], assertion.HeaderJson.GetProperty("x5c").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("workload-7", assertion.Claim("xms_az_claim"));
        Assert.Equal(_scenario.Entra.ClientId, assertion.Claim("iss"));
    }

    [Fact]
    public async Task A_standards_strict_oidc_provider_gets_an_RS256_assertion_signed_in_the_vault_and_a_new_one_each_call()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        _scenario.Entra.Settings.Remove($"Clients__{EntraScenario.Client}__Authority");
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__OidcAuthority"] = $"https://{FakeEntraId.OidcHost}";
        await using var app = _scenario.StartProcess();

        var first = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://oidc-resource/read" } });
        var second = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://oidc-resource/write" } });

        Assert.Equal(200, first.Status);
        Assert.Equal(200, second.Status);
        var assertions = Entra.TokenRequests.Where(r => r.Host == FakeEntraId.OidcHost).Select(r => r.Assertion!).ToList();
        Assert.All(assertions, a => Assert.Equal("RS256", a.Header("alg")));
        Assert.All(assertions, a => Assert.Equal(FakeEntraId.Base64Url(_scenario.Entra.Certificate.GetCertHash()), a.Header("x5t")));
        Assert.All(assertions, a => Assert.Equal(JsonValueKind.Number, a.PayloadJson.GetProperty("exp").ValueKind));
        Assert.Equal(2, assertions.Select(a => a.Claim("jti")).Distinct().Count());
        Assert.Equal(2, Vault.Signs);
        Assert.Equal(0, Vault.SecretReads);
    }

    [Fact]
    public async Task No_signal_of_signing_in_key_vault_carries_an_assertion_or_a_signature()
    {
        Vault.AddVersion(KeyVaultScenario.CertificateName, _scenario.Entra.Certificate);
        await using var app = _scenario.StartProcess();
        using var root = new System.Diagnostics.Activity("signing hygiene").Start();
        using var signals = new CapturedSignals(
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TokenFunctions.Telemetry.TokenTelemetry>(app.Services).Meter,
            root.TraceId);

        // A success, a refusal (no other version to switch to), and a vault that refuses to sign.
        var responses = new List<FunctionResponse> { await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes }) };
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);
        responses.Add(await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://refused/.default" } }));
        Vault.Fault = r => r.Path.Value!.EndsWith("/sign", StringComparison.Ordinal)
            ? new FakeResponse(HttpStatusCode.Forbidden, new System.Text.Json.Nodes.JsonObject { ["error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = "Forbidden", ["message"] = "Caller is not authorized." } })
            : null;
        responses.Add(await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://unsigned/.default" } }));

        Assert.Equal([200, 502, 503], responses.Select(r => r.Status));
        Assert.NotEmpty(signals.Activities);
        var texts = app.Logs.Lines.Select(l => $"{l.Category} {l.Message} {l.Exception}").Concat(responses.Skip(1).Select(r => r.Body)).Concat(signals.AllTagValues).ToList();
        var assertions = AppRequests.Select(r => r.Form["client_assertion"]).Distinct().ToList();
        Assert.NotEmpty(assertions);
        foreach (var part in assertions.SelectMany(a => a.Split('.')[1..]))
        {
            Assert.DoesNotContain(texts, t => t.Contains(part, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(texts, t => t.Contains("PRIVATE KEY", StringComparison.Ordinal) || t.Contains("broker-identity-test-secret", StringComparison.Ordinal));
    }

    private static string S256(X509Certificate2 certificate) => FakeEntraId.Base64Url(SHA256.HashData(certificate.RawData));
}
