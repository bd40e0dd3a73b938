using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>
/// Claims challenges bypass the cache by design; a caller must not be able to spend a resource's Entra
/// budget for every other caller by sending new ones.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class ClaimsChallengeLimitTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const int PerMinute = 10;
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Past_the_limit_new_claims_challenges_for_a_resource_are_429_until_the_minute_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);

        for (var i = 0; i < PerMinute; i++)
        {
            Assert.Equal(200, (await PostWithChallengeAsync(app, EntraScenario.Scope, i)).Status);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var refused = await PostWithChallengeAsync(app, EntraScenario.Scope, 99);
        Assert.Equal(429, refused.Status);
        Assert.Equal("50", refused.Headers.RetryAfter.ToString());
        Assert.False(string.IsNullOrEmpty(refused.Text("correlation_id")));
        Assert.Equal(PerMinute, _scenario.Entra.TokenCalls());

        // Other resources, and requests without a challenge, are not held back.
        Assert.Equal(200, (await PostWithChallengeAsync(app, "api://reports/.default", 100)).Status);
        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Status);

        time.Advance(TimeSpan.FromSeconds(52));
        Assert.Equal(200, (await PostWithChallengeAsync(app, EntraScenario.Scope, 101)).Status);
    }

    private static Task<FunctionResponse> PostWithChallengeAsync(AppProcess app, string scope, int i) =>
        app.PostTokenAsync(EntraScenario.Client, new
        {
            scopes = new[] { scope },
            claims_challenge = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"" + (1700000000 + i) + "\"}}}",
        });
}
