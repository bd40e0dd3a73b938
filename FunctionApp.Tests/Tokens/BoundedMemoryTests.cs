using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>Memory keyed by what callers send (one row per user assertion) stays bounded, however many come.</summary>
[Collection(UsesAzurite.Name)]
public sealed class BoundedMemoryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Throttles_remembered_per_user_assertion_are_bounded_and_the_passed_go_first()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var throttle = app.Services.GetRequiredService<EntraThrottle>();

        for (var i = 0; i < EntraThrottle.MaxRemembered * 3; i++)
        {
            await throttle.RecordAsync(new CacheEntryKey($"obo-user-{i}", "tokens"), TimeSpan.FromSeconds(1), EntraScenario.Client);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.InRange(throttle.Remembered, 1, EntraThrottle.MaxRemembered);
        var current = new CacheEntryKey("obo-current-user", "tokens");
        await throttle.RecordAsync(current, TimeSpan.FromMinutes(1), EntraScenario.Client);
        await Assert.ThrowsAsync<EntraThrottledException>(() => throttle.EnsureNotThrottledAsync(current, CancellationToken.None));
    }
}
