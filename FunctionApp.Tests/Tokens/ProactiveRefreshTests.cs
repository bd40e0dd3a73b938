using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>
/// One owner of proactive refresh at a time. MSAL refreshes a token past Entra's <c>refresh_in</c> in
/// the background (on its own, real clock); the core forces a refresh of a token it finds due. When
/// MSAL has started its background refresh, the core must not start a second one.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class ProactiveRefreshTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_token_msal_refreshes_in_the_background_is_not_refreshed_by_the_core_as_well()
    {
        // Due at once on MSAL's real clock, whatever its jitter (at most 5 minutes either way).
        _scenario.Entra.RefreshIn = TimeSpan.FromMinutes(-10);
        var background = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);
        var first = (await client.AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value;
        _scenario.Entra.RefreshIn = null;
        _scenario.Entra.BeforeAnswer = (_, _) =>
        {
            background.TrySetResult();
            return Task.CompletedTask;
        };

        var second = await client.AcquireTokenForClientAsync(Scopes, null, default);

        Assert.True(second.Succeeded, second.Error?.Description);
        Assert.Equal(first, second.Token!.Value);
        await background.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, _scenario.Entra.TokenCalls());
    }
}
