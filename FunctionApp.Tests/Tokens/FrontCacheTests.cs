using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

public sealed class FrontCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_remembered_token_is_served_as_from_cache_and_an_issued_ones_lifetime_is_kept()
    {
        var cache = new FrontCache(StringComparer.OrdinalIgnoreCase, tracksLifetimes: true);

        cache.Remember("api://x/.default", Token(TokenSource.IdentityProvider, Now.AddHours(1)), Now);

        Assert.True(cache.TryGet("API://X/.default", out var token));
        Assert.Equal(TokenSource.Cache, token.Source);
        Assert.Equal(TimeSpan.FromHours(1), cache.LifetimeOf("api://x/.default"));
    }

    [Fact]
    public void A_token_from_a_cache_does_not_change_the_lifetime_entra_gave()
    {
        var cache = new FrontCache(StringComparer.Ordinal, tracksLifetimes: true);
        cache.Remember("k", Token(TokenSource.IdentityProvider, Now.AddHours(1)), Now);

        cache.Remember("k", Token(TokenSource.Cache, Now.AddHours(1)), Now.AddMinutes(30));

        Assert.Equal(TimeSpan.FromHours(1), cache.LifetimeOf("k"));
    }

    [Fact]
    public void Without_lifetime_tracking_no_lifetime_is_kept()
    {
        var cache = new FrontCache(StringComparer.Ordinal, tracksLifetimes: false);

        cache.Remember("k", Token(TokenSource.IdentityProvider, Now.AddHours(1)), Now);

        Assert.Null(cache.LifetimeOf("k"));
    }

    [Fact]
    public void It_never_holds_more_than_its_capacity()
    {
        var cache = new FrontCache(StringComparer.Ordinal, tracksLifetimes: true);

        for (var i = 0; i < FrontCache.Capacity * 3; i++)
        {
            cache.Remember($"key-{i}", Token(TokenSource.IdentityProvider, Now.AddHours(1)), Now);
        }

        var held = Enumerable.Range(0, FrontCache.Capacity * 3).Count(i => cache.TryGet($"key-{i}", out _));
        var lifetimes = Enumerable.Range(0, FrontCache.Capacity * 3).Count(i => cache.LifetimeOf($"key-{i}") is not null);
        Assert.InRange(held, 1, FrontCache.Capacity);
        Assert.InRange(lifetimes, 1, FrontCache.Capacity);
        Assert.True(cache.TryGet($"key-{FrontCache.Capacity * 3 - 1}", out _), "the newest token is kept");
    }

    private static AccessToken Token(TokenSource source, DateTimeOffset expiresOn) => new("Bearer", "token", expiresOn, null, source);
}
