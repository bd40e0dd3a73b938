using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>One rule, MSAL's: nothing within 5 minutes of expiry; past the refresh point, due.</summary>
public sealed class TokenFreshnessTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(60, null, true, true)]
    [InlineData(6, null, true, true)]
    [InlineData(5, null, false, false)]   // within the margin: not used at all
    [InlineData(-1, null, false, false)]
    [InlineData(60, -1, true, false)]     // past its refresh point: usable, but due
    [InlineData(60, 1, true, true)]
    public void Usable_and_servable(int minutesToExpiry, int? minutesToRefresh, bool usable, bool servable)
    {
        var token = new AccessToken("Bearer", "t", Now.AddMinutes(minutesToExpiry), minutesToRefresh is { } r ? Now.AddMinutes(r) : null, TokenSource.Cache);

        Assert.Equal(usable, TokenFreshness.IsUsable(token, Now));
        Assert.Equal(servable, TokenFreshness.IsServable(token, Now));
    }

    [Fact]
    public void A_token_short_of_the_life_wanted_is_not_servable_for_that_purpose()
    {
        var token = new AccessToken("Bearer", "t", Now.AddMinutes(20), null, TokenSource.Cache);

        Assert.True(TokenFreshness.IsServable(token, Now, TimeSpan.FromMinutes(20)));
        Assert.False(TokenFreshness.IsServable(token, Now, TimeSpan.FromMinutes(21)));
    }
}
