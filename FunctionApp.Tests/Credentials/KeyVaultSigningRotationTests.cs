using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// A key that signs in Key Vault, rotated and refused as a downloaded certificate is: a newer version is
/// picked up without a restart, and a version Entra refuses gives way to the best other one, once for
/// every request it failed.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class KeyVaultSigningRotationTests(AzuriteFixture azurite) : IAsyncLifetime
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
    public async Task A_newer_version_signs_after_the_refresh_interval_without_a_restart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var next = _scenario.RotateCertificate();
        var nextVersion = LatestVersion();

        time.Advance(TimeSpan.FromMinutes(1));
        await Source(client).LastRefresh;
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, response.Status);
        Assert.Equal(S256(next), SigningThumbprint(AppRequests[^1]));
        Assert.Equal($"POST /keys/{KeyVaultScenario.CertificateName}/{nextVersion}/sign", Vault.Served.Last());
        Assert.Equal(0, Vault.SecretReads);
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 3012);
    }

    [Fact]
    public async Task A_disabled_newest_version_found_by_the_background_check_leaves_the_current_key_signing_and_health_loaded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var next = _scenario.RotateCertificate();
        Vault.SetEnabled(KeyVaultScenario.CertificateName, LatestVersion(), enabled: false);

        time.Advance(TimeSpan.FromMinutes(1));
        await Source(client).LastRefresh;
        var health = await app.GetHealthAsync();
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal("loaded", health.Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString());
        Assert.Equal(200, response.Status);
        Assert.Equal(S256(_scenario.Entra.Certificate), SigningThumbprint(AppRequests[^1]));
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 3014);
    }

    [Fact]
    public async Task A_key_entra_refuses_gives_way_to_the_vaults_newer_version_and_the_request_is_retried_once()
    {
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var next = _scenario.RotateCertificate();
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, response.Status);
        var attempts = AppRequests.Where(r => r.Form["scope"] == AnotherScopes[0]).ToList();
        Assert.Equal([S256(_scenario.Entra.Certificate), S256(next)], attempts.Select(SigningThumbprint));
        Assert.Equal(2, Vault.Signs);
    }

    [Fact]
    public async Task A_newer_version_entra_does_not_accept_yet_gives_way_to_the_previous_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        time.Advance(TimeSpan.FromMinutes(1));
        await Source(client).LastRefresh;

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, response.Status);
        var attempts = AppRequests.Where(r => r.Form["scope"] == AnotherScopes[0]).ToList();
        Assert.Equal([S256(unregistered), S256(_scenario.Entra.Certificate)], attempts.Select(SigningThumbprint));
    }

    [Fact]
    public async Task Entra_not_answering_within_the_budget_is_entras_timeout_not_the_vaults()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var held = new SemaphoreSlim(0);
        Entra.BeforeAnswer = async (request, ct) =>
        {
            // The client's own requests; the broker's token for the vault is not held.
            if (request.Form.GetValueOrDefault("client_id") == _scenario.Entra.ClientId)
            {
                held.Release();
                await Task.Delay(Timeout.Infinite, ct);
            }
        };

        var pending = app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        await held.WaitAsync();
        time.Advance(TimeSpan.FromSeconds(10)); // Http__RequestBudget's default
        var response = await pending;

        Assert.True(504 == response.Status, response.Body);
        Assert.Equal("Entra did not answer within the time budget.", response.Text("error_description"));
    }

    [Fact]
    public async Task A_refusal_of_the_old_key_that_arrives_after_the_background_rotation_is_retried_with_the_new_key()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        Assert.True((await client.AcquireTokenForClientAsync(Scopes, null, default)).Succeeded);
        var held = new SemaphoreSlim(0);
        var release = new TaskCompletionSource();
        var hold = true;
        Entra.BeforeAnswer = async (request, ct) =>
        {
            if (hold && request.Form.GetValueOrDefault("client_id") == _scenario.Entra.ClientId)
            {
                hold = false;
                held.Release();
                await release.Task.WaitAsync(ct);
            }
        };

        // Just before the background check is due, a request carrying the current key's assertion is
        // on its way to Entra; the vault rotates, the check moves to the new key, and the app
        // registration drops the old one before Entra answers.
        time.Advance(TimeSpan.FromSeconds(59));
        var pending = app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });
        await held.WaitAsync();
        using var next = _scenario.RotateCertificate();
        time.Advance(TimeSpan.FromSeconds(1));
        await Source(client).LastRefresh;
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);
        release.SetResult();
        var response = await pending;

        // The refusal was the old key's: the retry signs with the new one, which is not taken for refused.
        Assert.True(200 == response.Status, response.Body);
        var attempts = AppRequests.Where(r => r.Form["scope"] == AnotherScopes[0]).ToList();
        Assert.Equal([S256(_scenario.Entra.Certificate), S256(next)], attempts.Select(SigningThumbprint));
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://third/.default" } })).Status);
        Assert.Equal(S256(next), SigningThumbprint(AppRequests[^1]));
    }

    [Fact]
    public async Task A_refused_key_with_nothing_else_fails_once_with_a_clear_error()
    {
        await using var app = _scenario.StartProcess();
        Entra.UnregisterCertificate(_scenario.Entra.ClientId, _scenario.Entra.Certificate);

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });

        Assert.Equal(502, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Equal(700027, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.Contains($"client '{EntraScenario.Client}'", response.Text("error_description"));
        Assert.Contains(KeyVaultScenario.CertificateName, response.Text("error_description"));
        Assert.Single(AppRequests);
        Assert.Equal(1, Vault.Signs);
        Assert.Equal(1, Vault.VersionListings);
    }

    [Fact]
    public async Task A_new_instance_whose_newest_version_entra_refuses_signs_with_the_older_registered_one_for_every_waiting_request()
    {
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.AcquireTokenForClientAsync([$"api://resource-{i}/.default"], null, default).AsTask()));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.Description));
        Assert.Equal(1, Vault.VersionListings);
        Assert.Equal(2, Vault.Signs); // the newest version once, the older one once
        Assert.Equal(20, AppRequests.Count(r => SigningThumbprint(r) == S256(_scenario.Entra.Certificate)));
        Assert.Equal(0, Vault.SecretReads);
    }

    [Fact]
    public async Task A_request_while_a_refused_key_is_being_replaced_presents_the_assertion_at_hand_rather_than_signing_with_that_key_again()
    {
        using var unregistered = _scenario.RotateCertificate(registerWithEntra: false);
        var listing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondPresented = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Vault.BeforeAnswer = async (request, ct) =>
        {
            if (request.Path.Value!.EndsWith("/versions", StringComparison.Ordinal))
            {
                listing.TrySetResult();
                await secondPresented.Task.WaitAsync(ct);
            }
        };
        Entra.BeforeAnswer = (request, _) =>
        {
            if (request.Form.GetValueOrDefault("scope") == AnotherScopes[0] && SigningThumbprint(request) == S256(unregistered))
            {
                secondPresented.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await using var app = _scenario.StartProcess();

        // The first request's refusal starts the replacement, whose listing of versions is held until the
        // second request has presented its assertion to Entra.
        var first = app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        await listing.Task;
        var second = await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes });

        Assert.Equal(200, (await first).Status);
        Assert.Equal(200, second.Status);
        Assert.Equal(2, Vault.Signs); // the refused version once, the registered one once
        Assert.Equal(1, Vault.VersionListings);
    }

    [Fact]
    public async Task A_refusal_that_arrives_after_the_stand_in_took_over_retries_with_it_and_refuses_nothing_more()
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

        // The slow request's assertion is signed with the newest version, and Entra's refusal of it is
        // held back until another request has already replaced that version with the older registered one.
        var slowResponse = app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { slow } });
        await slowArrived.Task;
        var fast = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Scopes });
        releaseSlow.SetResult();

        Assert.Equal(200, fast.Status);
        Assert.Equal(200, (await slowResponse).Status);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = AnotherScopes })).Status);
        Assert.Equal(1, Vault.VersionListings);
        Assert.Equal(2, Vault.Signs);
        Assert.Equal(2, AppRequests.Count(r => SigningThumbprint(r) == S256(unregistered)));
    }

    private async Task<KeyVaultScenario> StartAsync(bool uploadCertificate)
    {
        var scenario = await KeyVaultScenario.StartAsync(azurite.Server, uploadCertificate);
        scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__SignInKeyVault"] = "true";
        scenario.Entra.Settings["Credentials__RefreshInterval"] = "00:01:00";
        return scenario;
    }

    private string LatestVersion() =>
        Vault.Find(KeyVaultScenario.CertificateName, null)!.Version;

    private static KeyVaultSignedAssertionSource Source(TokenFunctions.Tokens.ConfidentialClient client) =>
        Assert.IsType<KeyVaultSignedAssertionSource>(client.AssertionSource);

    private static string SigningThumbprint(ReceivedTokenRequest request) => request.Assertion!.Header("x5t#S256")!;

    private static string S256(X509Certificate2 certificate) => FakeEntraId.Base64Url(SHA256.HashData(certificate.RawData));
}
