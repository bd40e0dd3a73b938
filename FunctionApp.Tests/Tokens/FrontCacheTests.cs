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
    public void Past_its_capacity_it_forgets_the_tokens_that_expire_first_not_everything()
    {
        var cache = new FrontCache(StringComparer.Ordinal, tracksLifetimes: true);
        var extra = 10;

        // Each user's token expires a minute after the one before: the earliest are the oldest.
        for (var i = 0; i < FrontCache.Capacity + extra; i++)
        {
            cache.Remember($"user-{i}", Token(TokenSource.IdentityProvider, Now.AddMinutes(10 + i)), Now);
        }

        var held = Enumerable.Range(0, FrontCache.Capacity + extra).Where(i => cache.TryGet($"user-{i}", out _)).ToList();
        Assert.Equal(FrontCache.Capacity, held.Count);
        Assert.Equal(Enumerable.Range(extra, FrontCache.Capacity), held);
        Assert.InRange(Enumerable.Range(0, FrontCache.Capacity + extra).Count(i => cache.LifetimeOf($"user-{i}") is not null), 1, FrontCache.Capacity);
    }

    private static AccessToken Token(TokenSource source, DateTimeOffset expiresOn) => new("Bearer", "token", expiresOn, null, source);
}
