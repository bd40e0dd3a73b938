using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// A new certificate version that reached the vault before the app registration: every instance, new
/// or warm, signs with the newest older version Entra still accepts, and stays with it until the
/// vault has something newer than the refused version.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class KeyVaultVersionFallbackTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Name = KeyVaultScenario.CertificateName;
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private KeyVaultScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await KeyVaultScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra.Entra;

    private FakeKeyVault Vault => _scenario.Vault;

    /// <summary>The certificate the vault held first, registered on the app registration.</summary>
    private X509Certificate2 Registered => _scenario.Entra.Certificate;

    private IReadOnlyList<ReceivedTokenRequest> AppRequests => Entra.TokenRequestsOf(_scenario.Entra.ClientId);

    [Fact]
    public async Task A_new_instance_whose_newest_version_entra_refuses_signs_with_the_older_registered_one()
    {
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(200, response.Status);
        Assert.Equal([S256(unregistered), S256(Registered)], AppRequests.Select(SigningThumbprint));
        Assert.Equal(1, Vault.VersionListings);
    }

    [Fact]
    public async Task Concurrent_first_requests_on_a_new_instance_share_one_listing_and_one_fallback_download()
    {
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.AcquireTokenForClientAsync([$"api://resource-{i}/.default"], null, default).AsTask()));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.Description));
        Assert.Equal(1, Vault.VersionListings);
        Assert.Equal(2, Vault.SecretReads); // the newest version once, the fallback once
        Assert.Equal(20, AppRequests.Count(r => SigningThumbprint(r) == S256(Registered)));
    }

    [Fact]
    public async Task A_refusal_that_arrives_after_the_stand_in_took_over_retries_with_it_and_swaps_nothing()
    {
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        const string slow = "api://slow/.default";
        var slowArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Entra.BeforeAnswer = async (request, ct) =>
        {
            if (request.Form.GetValueOrDefault("scope") == slow && SigningThumbprint(request) == S256(unregistered))
            {
                slowArrived.SetResult();
                await releaseSlow.Task.WaitAsync(ct);
            }
        };
        await using var app = _scenario.StartProcess();

        // The slow request signs with the newest version, and Entra's refusal of it is held back
        // until another request has already replaced that version with the older registered one.
        var slowResponse = app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { slow } });
        await slowArrived.Task;
        var fast = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        releaseSlow.SetResult();

        Assert.Equal(200, fast.Status);
        Assert.Equal(200, (await slowResponse).Status);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://another/.default" } })).Status);
        Assert.Equal(1, Vault.VersionListings);
        Assert.Equal(2, Vault.SecretReads);
        Assert.Equal(2, AppRequests.Count(r => SigningThumbprint(r) == S256(unregistered)));
    }

    [Fact]
    public async Task After_falling_back_the_background_refresh_does_not_return_to_the_refused_version()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        await using var app = _scenario.StartProcess(time);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes })).Status);
        var checks = LatestVersionChecks();

        await RefreshAsync(app, time);
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://another/.default" } });

        Assert.Equal(200, response.Status);
        Assert.Equal(checks + 1, LatestVersionChecks());
        Assert.Equal(S256(Registered), SigningThumbprint(AppRequests[^1]));
        Assert.Single(AppRequests, r => SigningThumbprint(r) == S256(unregistered));
        Assert.Equal(2, Vault.SecretReads);
    }

    [Fact]
    public async Task A_version_newer_than_the_refused_one_is_picked_up_by_the_background_refresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        await using var app = _scenario.StartProcess(time);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes })).Status);
        using var newest = _scenario.RotateCertificate();

        await RefreshAsync(app, time);
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://another/.default" } });

        Assert.Equal(200, response.Status);
        Assert.Equal(S256(newest), SigningThumbprint(AppRequests[^1]));
    }

    [Fact]
    public async Task With_no_enabled_valid_older_version_a_refused_newest_version_fails_with_the_clear_502()
    {
        await using var fresh = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate: false);
        var registered = fresh.Entra.Certificate;
        using var expired = CertificateValidFor(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        fresh.Entra.Entra.RegisterClient(fresh.Entra.ClientId, expired);
        fresh.Vault.AddVersion(Name, expired);
        fresh.Vault.AddVersion(Name, registered, enabled: false);
        using var unregistered = TestCertificates.CreateClientCertificate("CN=TokenFunctions test client v2");
        fresh.Vault.AddVersion(Name, unregistered);
        await using var app = fresh.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(502, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Contains("no newer version", response.Text("error_description"));
        Assert.Equal(700027, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.Single(fresh.Entra.Entra.TokenRequestsOf(fresh.Entra.ClientId));
        Assert.Equal(1, fresh.Vault.SecretReads);
    }

    [Fact]
    public async Task A_pinned_version_entra_refuses_never_falls_back()
    {
        using var unregistered = TestCertificates.CreateClientCertificate("CN=TokenFunctions test client v2");
        var pinned = Vault.AddVersion(Name, unregistered);
        _scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__Version"] = pinned;
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(502, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Equal([S256(unregistered)], AppRequests.Select(SigningThumbprint));
        Assert.Equal(0, Vault.VersionListings);
    }

    /// <summary>Runs the background check once, past the refresh interval (<c>Credentials__RefreshInterval</c>, 6 hours).</summary>
    private static async Task RefreshAsync(AppProcess app, FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromHours(6));
        await Assert.IsType<KeyVaultCertificateSource>(app.Client(EntraScenario.Client).CertificateSource).LastRefresh;
    }

    /// <summary>Reads of the certificate's latest version (the SDK's download adds a trailing slash, its plain read does not).</summary>
    private int LatestVersionChecks() => Vault.Served.Count(s => s.TrimEnd('/') == $"GET /certificates/{Name}");

    private static X509Certificate2 CertificateValidFor(DateTimeOffset from, DateTimeOffset to)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=TokenFunctions out-of-date client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(from, to);
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>Which certificate signed the assertion, by its SHA-256 thumbprint (x5t#S256).</summary>
    private static string SigningThumbprint(ReceivedTokenRequest request) => request.Assertion!.Header("x5t#S256")!;

    private static string S256(X509Certificate2 certificate) => FakeEntraId.Base64Url(SHA256.HashData(certificate.RawData));
}
