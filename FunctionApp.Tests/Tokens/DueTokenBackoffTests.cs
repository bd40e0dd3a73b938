using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>
/// A due token whose refresh failed is still usable: the next requests get it at once rather than each
/// waiting out Entra's failure again, for a short while, after which Entra is asked again.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class DueTokenBackoffTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task After_a_failed_refresh_the_due_token_is_served_without_asking_entra_for_thirty_seconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _scenario.Entra.Time = time;
        _scenario.Entra.RefreshIn = TimeSpan.FromMinutes(10);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        var first = (await client.AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value;

        time.Advance(TimeSpan.FromMinutes(15)); // past refresh_in, 45 minutes before expiry
        _scenario.Entra.Fault = _ => FakeResponse.EntraError(System.Net.HttpStatusCode.BadGateway, "server_error", 50000, "AADSTS50000: unavailable.");
        Assert.Equal(first, (await client.AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value);
        var callsAfterTheFailure = _scenario.Entra.TokenCalls();

        time.Advance(TimeSpan.FromSeconds(29));
        var held = await client.AcquireTokenForClientAsync(Scopes, null, default);
        Assert.Equal(first, held.Token!.Value);
        Assert.Equal(callsAfterTheFailure, _scenario.Entra.TokenCalls());

        time.Advance(TimeSpan.FromSeconds(2));
        _scenario.Entra.Fault = null;
        var refreshed = await client.AcquireTokenForClientAsync(Scopes, null, default);
        Assert.NotEqual(first, refreshed.Token!.Value);
        Assert.True(_scenario.Entra.TokenCalls() > callsAfterTheFailure);
    }
}
