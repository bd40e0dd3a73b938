using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// One client's on-behalf-of flow: a token for a downstream API on behalf of the user whose token the
/// middle-tier API (this client) received. Cached per user assertion — in a front cache of its own and
/// in the Table, one short-lived MSAL application per assertion so no user's tokens ever share an
/// in-memory cache with another's — never past the assertion's own expiry, and always from the global
/// endpoint (Entra has no regional on-behalf-of).
/// </summary>
public sealed class OnBehalfOfFlow(
    ClientRegistration client,
    MsalApplicationFactory applications,
    MsalRequests requests,
    AcquisitionPolicy policy,
    TokenRequestTelemetry telemetry,
    ClaimsChallengeLimit claimsChallenges,
    TimeProvider time)
{
    // Keys start with the assertion's hash, which is case-sensitive: ordinal, always.
    private readonly FrontCache _front = new(StringComparer.Ordinal, tracksLifetimes: false);
    private readonly SingleFlight<TokenResult> _flights = new(StringComparer.Ordinal);

    public ValueTask<TokenResult> AcquireAsync(
        string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userAssertion);
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfZero(scopes.Count);

        var assertionHash = UserAssertionJwt.Hash(userAssertion);
        var key = assertionHash + "\n" + client.Scopes.OrdinalKey(scopes);
        if (claimsChallenge is null && _front.TryGet(key, out var ready) && TokenFreshness.IsServable(ready, time.GetUtcNow()))
        {
            telemetry.FrontCacheHit(TokenRequestTelemetry.OnBehalfOf, scopes);
            return new(ready);
        }

        return new(AcquireOnMissAsync(key, assertionHash, userAssertion, scopes, claimsChallenge, cancellationToken));
    }

    private Task<TokenResult> AcquireOnMissAsync(
        string key, string assertionHash, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        telemetry.ObserveAsync(TokenRequestTelemetry.OnBehalfOf, scopes, () => claimsChallenge is not null
            ? claimsChallenges.TryTake("obo\n" + client.Scopes.PartitionOf(scopes)) is { } wait
                ? Task.FromResult<TokenResult>(ClaimsChallengeLimit.Refusal(client.Name, wait))
                : AcquireFromMsalAsync(key, assertionHash, userAssertion, scopes, claimsChallenge, cancellationToken)
            : _flights.RunAsync(key, () => AcquireFromMsalAsync(key, assertionHash, userAssertion, scopes, null, CancellationToken.None), cancellationToken));

    private async Task<TokenResult> AcquireFromMsalAsync(
        string key, string assertionHash, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        var assertionExpiry = UserAssertionJwt.Expiry(userAssertion);
        if (assertionExpiry is { } expiry && expiry <= time.GetUtcNow())
        {
            return new TokenError(TokenErrorKind.Rejected, "invalid_grant", "The user assertion has expired; the caller must get a new token from the user.");
        }

        var row = new CacheEntryKey(
            CacheKeys.OnBehalfOfPartition(client.Name, client.Options.ClientId, client.Tenant, assertionHash), client.Scopes.OnBehalfOfRow(scopes));
        var result = await policy.RunAsync(row, async ct =>
        {
            var msal = applications.ForUserAssertion(client, row, assertionExpiry);
            var token = await requests.OnBehalfOfAsync(msal, userAssertion, scopes, claimsChallenge, ct).ConfigureAwait(false);

            // Served from the front cache no longer than the assertion it was obtained for is valid.
            return assertionExpiry is { } limit && (token.RefreshOn is not { } refreshOn || refreshOn > limit)
                ? token with { RefreshOn = limit }
                : token;
        }, cancellationToken).ConfigureAwait(false);

        if (result.Succeeded)
        {
            _front.Remember(key, result.Token, time.GetUtcNow());
        }

        return result;
    }
}
