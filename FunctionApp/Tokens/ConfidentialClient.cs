using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Telemetry;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Tokens;

/// <summary>
/// One configured app registration and its flows: client credentials and on-behalf-of as MSAL's
/// confidential client application offers them, removal of its tokens (which MSAL.NET lacks), and what
/// a shared broker needs besides: a <see cref="FrontCache"/> of ready tokens, one Entra call per key
/// however many callers miss at once (<see cref="SingleFlight{T}"/>), a Table-backed MSAL cache per
/// resource, regional failover and time budgets. Every outcome a caller can cause is a <see cref="TokenResult"/>, never an exception.
/// </summary>
public sealed partial class ConfidentialClient
{
    /// <summary>How long a due token whose refresh failed is served as it is before Entra is asked again.</summary>
    private static readonly TimeSpan RefreshHoldBack = TimeSpan.FromSeconds(30);

    private readonly ClientRegistration _client;
    private readonly AcquisitionPolicy _policy;
    private readonly RegionalFailover _failover;
    private readonly TokenCacheTable _table;
    private readonly TokenRequestTelemetry _telemetry;
    private readonly TimeProvider _time;

    private readonly ScopeRules _scopes;
    private readonly SingleFlight<TokenResult> _flights;
    private readonly OnBehalfOfFlow _onBehalfOf;
    private readonly ClaimsChallengeLimit _claimsChallenges;

    private readonly AppTokenMemory _memory;

    public ConfidentialClient(
        ClientRegistration client,
        MsalApplicationFactory applications,
        AcquisitionPolicy policy,
        RegionalFailover failover,
        MsalRequests requests,
        TokenCacheTable table,
        ClientRemovals removals,
        TokenTelemetry telemetry,
        TimeProvider time)
    {
        _client = client;
        _policy = policy;
        _failover = failover;
        _table = table;
        _time = time;
        _telemetry = new TokenRequestTelemetry(client, telemetry, time);
        _scopes = client.Scopes;
        _flights = new SingleFlight<TokenResult>(_scopes.Comparer);
        _claimsChallenges = new ClaimsChallengeLimit(time);
        _onBehalfOf = new OnBehalfOfFlow(client, applications, requests, policy, _telemetry, _claimsChallenges, time);
        _memory = new AppTokenMemory(
            new FrontCache(_scopes.Comparer, tracksLifetimes: true), new ClientResources(client, applications, removals, table, time), removals);
    }

    public string Name => _client.Name;

    public string Tenant => _client.Tenant;

    /// <summary>Where this client's certificate comes from (null for a client secret).</summary>
    public ICertificateSource? CertificateSource => _client.Certificates;

    /// <summary>Where the client's assertions come from when the worker holds no private key (null otherwise).</summary>
    public IClientAssertionSource? AssertionSource => _client.Assertions;

    /// <summary>The state of this client's credential, for health: a secret is always ready.</summary>
    public CredentialStatus CredentialStatus => _client.Certificates?.Status ?? _client.Assertions?.Status ?? CredentialStatus.Loaded;

    /// <summary>The client's region setting as health shows it: a region name, TryAutoDetect, or global.</summary>
    public string RegionSetting => string.IsNullOrWhiteSpace(_client.Options.AzureRegion) ? "global" : _client.Options.AzureRegion;

    /// <summary>The state of this client's regional circuit (for health).</summary>
    public string RegionalCircuitState => _failover.Circuit.State;

    /// <summary>
    /// A client-credentials token for <paramref name="scopes"/>: from the front cache when ready,
    /// else from MSAL (memory, then Table, then Entra). A claims challenge always goes to Entra.
    /// </summary>
    public ValueTask<TokenResult> AcquireTokenForClientAsync(
        IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfZero(scopes.Count);

        var key = _scopes.Key(scopes);
        if (claimsChallenge is null && _memory.Front.TryGet(key, out var ready) && _time.GetUtcNow() is var now &&
            _memory.IsCurrentAt(now) && TokenFreshness.IsServable(ready, now))
        {
            // The hot path: a lookup, two counter increments, and an activity only when someone listens.
            _telemetry.FrontCacheHit(TokenRequestTelemetry.ClientCredentials, scopes);
            return new(ready);
        }

        return new(AcquireForClientOnMissAsync(key, scopes, claimsChallenge, cancellationToken));
    }

    // Kept out of the method above: its lambdas capture the parameters, and a closure there would be
    // allocated on every call, hits included.
    private async Task<TokenResult> AcquireForClientOnMissAsync(
        string key, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        // Served from memory after all: the removal check found no removal, or a due token's refresh
        // failed moments ago and is held back while the token is still usable. When memory has nothing
        // to serve, the check waits for the acquisition's own read of the Table, which brings the
        // removal record along (one round trip, not two).
        if (!_memory.IsCurrent && (ServableFromMemory(key, claimsChallenge, out _) || _memory.IsBehindRemoval))
        {
            await _memory.RefreshAsync().ConfigureAwait(false);
        }

        if (_memory.IsCurrent && ServableFromMemory(key, claimsChallenge, out var ready))
        {
            _telemetry.FrontCacheHit(TokenRequestTelemetry.ClientCredentials, scopes);
            return ready;
        }

        return await _telemetry.ObserveAsync(TokenRequestTelemetry.ClientCredentials, scopes, () => claimsChallenge is not null
            // Identical challenges arriving together share one Entra call too; each new one still bypasses the cache.
            ? _flights.RunAsync(FlightKey(key) + "\nclaims\n" + claimsChallenge, () => AcquireChallengedAsync(key, scopes, claimsChallenge), cancellationToken)
            : _flights.RunAsync(FlightKey(key), () => AcquireFromMsalAsync(key, scopes, claimsChallenge: null, TimeSpan.Zero), cancellationToken)).ConfigureAwait(false);
    }

    private bool ServableFromMemory(string key, string? claimsChallenge, [NotNullWhen(true)] out AccessToken? ready)
    {
        var now = _time.GetUtcNow();
        ready = null;
        return claimsChallenge is null && _memory.Front.TryGet(key, out ready) &&
            (TokenFreshness.IsServable(ready, now) || (TokenFreshness.IsUsable(ready, now) && _memory.Front.IsRefreshHeld(key, now)));
    }

    // Keyed by the removal generation too: a request that learnt of a removal never joins an
    // acquisition that started before it. No allocation while the client was never removed.
    private string FlightKey(string key)
    {
        var generation = _memory.Generation;
        return generation == 0 ? key : generation.ToString(CultureInfo.InvariantCulture) + "\n" + key;
    }

    private Task<TokenResult> AcquireChallengedAsync(string key, IReadOnlyList<string> scopes, string claimsChallenge) =>
        _claimsChallenges.TryTake(_scopes.PartitionOf(scopes)) is { } wait
            ? Task.FromResult<TokenResult>(ClaimsChallengeLimit.Refusal(Name, wait))
            : AcquireFromMsalAsync(key, scopes, claimsChallenge, TimeSpan.Zero);

    /// <summary>
    /// For the pre-warm timer: makes sure a token for <paramref name="scopes"/> has at least
    /// <paramref name="refreshBefore"/> of life left (never more than half its lifetime), refreshing it
    /// from Entra — after re-reading the Table — when it has not. The token lands in memory and the Table.
    /// </summary>
    public async Task<PrewarmOutcome> PrewarmAsync(IReadOnlyList<string> scopes, TimeSpan refreshBefore, CancellationToken cancellationToken)
    {
        var key = _scopes.Key(scopes);
        var current = await AcquireTokenForClientAsync(scopes, null, cancellationToken).ConfigureAwait(false);
        if (!current.Succeeded)
        {
            return new PrewarmOutcome(PrewarmState.Failed, current.Error);
        }

        var lifeWanted = _memory.Front.LifetimeOf(key) is { } lifetime && lifetime / 2 < refreshBefore ? lifetime / 2 : refreshBefore;
        if (current.Token.Source == TokenSource.IdentityProvider || current.Token.RefreshStarted)
        {
            return new PrewarmOutcome(PrewarmState.Refreshed, null);
        }

        if (TokenFreshness.IsServable(current.Token, _time.GetUtcNow(), lifeWanted))
        {
            return new PrewarmOutcome(PrewarmState.Fresh, null);
        }

        var refreshed = await _flights.RunAsync(FlightKey(key), () => AcquireFromMsalAsync(key, scopes, claimsChallenge: null, lifeWanted), cancellationToken).ConfigureAwait(false);
        return refreshed switch
        {
            { Succeeded: false } => new PrewarmOutcome(PrewarmState.Failed, refreshed.Error),
            { Token.Source: TokenSource.IdentityProvider } or { Token.RefreshStarted: true } => new PrewarmOutcome(PrewarmState.Refreshed, null),
            _ when TokenFreshness.IsServable(refreshed.Token!, _time.GetUtcNow(), lifeWanted) => new PrewarmOutcome(PrewarmState.Fresh, null),
            // Entra failed and the still-valid token was kept: the target is not warm.
            _ => new PrewarmOutcome(PrewarmState.Failed, new TokenError(TokenErrorKind.UpstreamFailure, "temporarily_unavailable", "The token could not be refreshed.")),
        };
    }

    /// <summary>
    /// A token for <paramref name="scopes"/> on behalf of the user who sent <paramref name="userAssertion"/>
    /// to the middle-tier API this client is (see <see cref="OnBehalfOfFlow"/>).
    /// </summary>
    public ValueTask<TokenResult> AcquireTokenOnBehalfOfAsync(
        string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        _onBehalfOf.AcquireAsync(userAssertion, scopes, claimsChallenge, cancellationToken);

    /// <summary>
    /// Drops this client's app tokens from memory and from the Table (MSAL.NET has no API for it).
    /// Null when done; an error when the Table could not be cleared, so the caller can retry.
    /// </summary>
    public async Task<TokenError?> RemoveTokensForClientAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _memory.RemoveAsync(cancellationToken).ConfigureAwait(false);
            var deleted = await _table.DeletePartitionAsync(_client.AppTokenPartition, cancellationToken).ConfigureAwait(false);
            LogTokensRemoved(_client.Logger, Name, deleted);
            return null;
        }
        catch (TokenCacheUnavailableException)
        {
            return new TokenError(
                TokenErrorKind.DependencyUnavailable,
                "temporarily_unavailable",
                $"Client '{Name}': the removal could not be completed in the token cache table (recorded, or its entries deleted), so other instances may still serve the tokens; retry.");
        }
    }

    /// <summary>
    /// A client-credentials token from MSAL (its memory, the Table, or Entra). When the token MSAL holds
    /// is not servable with <paramref name="lifeWanted"/> left, Entra is asked for a new one — after a
    /// re-read of the Table, since another instance may have refreshed it already.
    /// </summary>
    private async Task<TokenResult> AcquireFromMsalAsync(string key, IReadOnlyList<string> scopes, string? claimsChallenge, TimeSpan lifeWanted)
    {
        var generation = _memory.Generation;
        var resource = _memory.Resources.For(scopes);
        resource.BeginAcquisition();

        // A new instance's first request for the resource: the Table's token, when it serves, before
        // anything of MSAL is touched (the policy's handlers name MSAL's exceptions); its time counts
        // against the request's budget.
        var started = _time.GetTimestamp();
        if (claimsChallenge is null && await resource.TryServeFromTableAsync(scopes, lifeWanted, _policy.Budget).ConfigureAwait(false) is { } stored)
        {
            _telemetry.CacheResult("table");
            _memory.Remember(key, stored, generation, _time.GetUtcNow());
            return stored;
        }

        if (_memory.Front.Contains(key) || !_memory.IsCurrent)
        {
            // The token this instance holds is due: another instance (or the pre-warm timer) may have
            // refreshed it. Or the removal check is due: the read that brings the row brings the record.
            resource.MarkStale();
        }

        var tableReads = resource.TableReads;
        var result = await _policy.RunAsync(
            resource.Row, ct => AcquireForClientAsync(key, resource, scopes, claimsChallenge, lifeWanted, ct), CancellationToken.None, _time.GetElapsedTime(started)).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _telemetry.CacheResult(result.Token.Source == TokenSource.IdentityProvider ? "miss" : resource.TableReads > tableReads ? "table" : "msal");
            _memory.Remember(key, result.Token, generation, _time.GetUtcNow());
        }

        return result;
    }

    private async Task<AccessToken> AcquireForClientAsync(
        string key,
        ResourceApplications resource, IReadOnlyList<string> scopes, string? claimsChallenge, TimeSpan lifeWanted, CancellationToken budget)
    {
        var token = await _failover.AcquireForClientAsync(resource, scopes, claimsChallenge, forceRefresh: false, budget).ConfigureAwait(false);
        if (token.Source == TokenSource.IdentityProvider || TokenFreshness.IsServable(token, _time.GetUtcNow(), lifeWanted))
        {
            return token;
        }

        if (token.RefreshStarted && TokenFreshness.IsUsable(token, _time.GetUtcNow()) && !_memory.Front.WasRefreshHeld(key))
        {
            // MSAL found it due on its own clock and is refreshing it in the background (into its memory
            // and the Table): one refresh is enough. It is served meanwhile, and asked for again later;
            // if MSAL's refresh brought nothing by then, the core refreshes it, regional failover and all.
            _memory.Front.HoldRefresh(key, _time.GetUtcNow() + RefreshHoldBack);
            return token;
        }

        try
        {
            return await _failover.AcquireForClientAsync(resource, scopes, claimsChallenge, forceRefresh: true, budget).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MsalException or HttpRequestException or OperationCanceledException or ClientCredentialUnavailableException or EntraThrottledException
            && TokenFreshness.IsUsable(token, _time.GetUtcNow()))
        {
            // Due (past its refresh point, or short of the pre-warm threshold) but still usable: an
            // Entra failure must not turn a usable token into an outage.
            LogServedDueToken(_client.Logger, Name, ex.GetType().Name);
            _memory.Front.HoldRefresh(key, _time.GetUtcNow() + RefreshHoldBack);
            return token;
        }
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information,
        Message = "Client {Client}: app tokens removed ({Entries} table entries)")]
    private static partial void LogTokensRemoved(ILogger logger, string client, int entries);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning,
        Message = "Client {Client}: refreshing a due token failed ({Failure}); the cached token, still valid, is served")]
    private static partial void LogServedDueToken(ILogger logger, string client, string failure);
}
