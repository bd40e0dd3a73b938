using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Diagnostics;

namespace TokenFunctions.Tokens;

/// <summary>
/// One configured app registration: MSAL's confidential client plus what MSAL lacks — a front
/// cache of ready tokens, one Entra call per key however many callers miss at once, a Table-backed
/// cache partitioned per resource, time budgets, and removal of a client's app tokens.
/// </summary>
public sealed partial class ConfidentialClient
{
    /// <summary>MSAL does not serve a token this close to expiry; neither does the front cache.</summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    private const string ClientCredentialsFlow = "client_credentials";
    private const string OnBehalfOfFlow = "on_behalf_of";
    private const int MaxReadyTokens = 1024;
    private const int MaxResources = 256;

    private readonly ConfidentialClientOptions _options;
    private readonly ICertificateSource? _certificates;
    private readonly MsalApplicationFactory _applications;
    private readonly TokenCacheTable _table;
    private readonly EntraExchange _exchange;
    private readonly TokenTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _tablePartition;

    // Front cache: ready results by scope key, answered without entering MSAL.
    private readonly ConcurrentDictionary<string, AccessToken> _ready = new(StringComparer.OrdinalIgnoreCase);

    // Front cache of on-behalf-of results, by assertion hash and scopes.
    private readonly ConcurrentDictionary<string, AccessToken> _readyOnBehalfOf = new(StringComparer.Ordinal);

    // Where concurrent misses for one key wait for the single Entra call.
    private readonly ConcurrentDictionary<string, Lazy<Task<TokenResult>>> _inFlight = new(StringComparer.OrdinalIgnoreCase);

    // One MSAL application per resource, each bound to its own Table entry.
    private readonly ConcurrentDictionary<string, ResourcePartition> _partitions = new(StringComparer.OrdinalIgnoreCase);

    // The lifetime Entra gave each key's last token, so pre-warming never refreshes more often than half of it.
    private readonly ConcurrentDictionary<string, TimeSpan> _lifetimes = new(StringComparer.OrdinalIgnoreCase);

    // Bumped by RemoveTokensForClientAsync so that a call already under way cannot put back what was removed.
    private int _generation;

    internal ConfidentialClient(
        string name,
        ConfidentialClientOptions options,
        ICertificateSource? certificates,
        EntraExchange exchange,
        MsalApplicationFactory applications,
        TokenCacheTable table,
        TokenTelemetry telemetry,
        TimeProvider time,
        ILogger logger)
    {
        Name = name;
        _options = options;
        _certificates = certificates;
        _exchange = exchange;
        _applications = applications;
        _table = table;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        Tenant = AuthorityTenant.Of(options.Authority ?? options.OidcAuthority!);
        _tablePartition = CacheKeys.AppTokenPartition(name, options.ClientId, Tenant);
    }

    public string Name { get; }

    public string Tenant { get; }

    /// <summary>Where this client's certificate comes from (null for a client secret).</summary>
    internal ICertificateSource? CertificateSource => _certificates;

    /// <summary>The state of this client's credential, for health: a secret is always ready.</summary>
    public CredentialStatus CredentialStatus => _certificates?.Status ?? CredentialStatus.Loaded;

    /// <summary>
    /// A client-credentials token for <paramref name="scopes"/>: from the front cache when ready,
    /// else from MSAL (memory, then Table, then Entra). A claims challenge always goes to Entra.
    /// </summary>
    public ValueTask<TokenResult> AcquireTokenForClientAsync(
        IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfZero(scopes.Count);

        var key = ScopeSet.Key(scopes);
        if (claimsChallenge is null && _ready.TryGetValue(key, out var ready) && IsServable(ready))
        {
            // The hot path: a lookup, two counter increments, and an activity only when someone listens.
            _telemetry.CacheResult(Name, "front");
            _telemetry.TokenRequest(Name, ClientCredentialsFlow, "success");
            if (TokenTelemetry.ActivitySource.HasListeners())
            {
                using var activity = StartRequestActivity(ClientCredentialsFlow, scopes);
                activity?.SetTag("tokenfunctions.token_source", "cache");
            }

            return new(ready);
        }

        return new(AcquireForClientOnMissAsync(key, scopes, claimsChallenge, cancellationToken));
    }

    // Kept out of the method above: its lambdas capture the parameters, and a closure there would be
    // allocated on every call, hits included.
    private Task<TokenResult> AcquireForClientOnMissAsync(
        string key, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        ObserveAsync(ClientCredentialsFlow, scopes, () => claimsChallenge is not null
            // Identical challenges arriving together share one Entra call too; each new one still bypasses the cache.
            ? JoinFlightAsync(key + "\nclaims\n" + claimsChallenge, () => AcquireFromMsalAsync(key, scopes, claimsChallenge, CancellationToken.None), cancellationToken)
            : JoinFlightAsync(key, () => AcquireFromMsalAsync(key, scopes, claimsChallenge: null, CancellationToken.None), cancellationToken));

    /// <summary>
    /// For the pre-warm timer: makes sure a token for <paramref name="scopes"/> has at least
    /// <paramref name="refreshBefore"/> of life left (never more than half its lifetime), refreshing it
    /// from Entra — after re-reading the Table — when it has not. The token lands in memory and the Table.
    /// </summary>
    internal async Task<PrewarmOutcome> PrewarmAsync(IReadOnlyList<string> scopes, TimeSpan refreshBefore, CancellationToken cancellationToken)
    {
        var key = ScopeSet.Key(scopes);
        var current = await AcquireTokenForClientAsync(scopes, null, cancellationToken).ConfigureAwait(false);
        if (!current.Succeeded)
        {
            return new PrewarmOutcome(PrewarmState.Failed, current.Error);
        }

        var threshold = _lifetimes.TryGetValue(key, out var lifetime) && lifetime / 2 < refreshBefore ? lifetime / 2 : refreshBefore;
        bool LivesLongEnough(AccessToken token) => IsServable(token) && token.ExpiresOn - _time.GetUtcNow() >= threshold;
        if (current.Token.Source == TokenSource.IdentityProvider || LivesLongEnough(current.Token))
        {
            return new PrewarmOutcome(current.Token.Source == TokenSource.IdentityProvider ? PrewarmState.Refreshed : PrewarmState.Fresh, null);
        }

        var refreshed = await JoinFlightAsync(
            key, () => AcquireFromMsalAsync(key, scopes, claimsChallenge: null, CancellationToken.None, LivesLongEnough), cancellationToken).ConfigureAwait(false);
        return refreshed switch
        {
            { Succeeded: false } => new PrewarmOutcome(PrewarmState.Failed, refreshed.Error),
            { Token.Source: TokenSource.IdentityProvider } => new PrewarmOutcome(PrewarmState.Refreshed, null),
            _ when LivesLongEnough(refreshed.Token!) => new PrewarmOutcome(PrewarmState.Fresh, null),
            // Entra failed and the still-valid token was kept: the target is not warm.
            _ => new PrewarmOutcome(PrewarmState.Failed, new TokenError(TokenErrorKind.UpstreamFailure, "temporarily_unavailable", "The token could not be refreshed.")),
        };
    }

    /// <summary>
    /// A token for <paramref name="scopes"/> on behalf of the user who sent <paramref name="userAssertion"/>
    /// to the middle-tier API this client is. Cached per assertion (memory and Table), never past the
    /// assertion's own expiry, and always from the global endpoint (Entra has no regional OBO).
    /// </summary>
    public ValueTask<TokenResult> AcquireTokenOnBehalfOfAsync(
        string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userAssertion);
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfZero(scopes.Count);

        var assertionHash = UserAssertionJwt.Hash(userAssertion);
        var key = assertionHash + "\n" + ScopeSet.Key(scopes).ToLowerInvariant();
        if (claimsChallenge is null && _readyOnBehalfOf.TryGetValue(key, out var ready) && IsServable(ready))
        {
            _telemetry.CacheResult(Name, "front");
            _telemetry.TokenRequest(Name, OnBehalfOfFlow, "success");
            return new(ready);
        }

        return new(AcquireOnBehalfOfOnMissAsync(key, assertionHash, userAssertion, scopes, claimsChallenge, cancellationToken));
    }

    private Task<TokenResult> AcquireOnBehalfOfOnMissAsync(
        string key, string assertionHash, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        ObserveAsync(OnBehalfOfFlow, scopes, () => claimsChallenge is not null
            ? AcquireOnBehalfOfFromMsalAsync(key, assertionHash, userAssertion, scopes, claimsChallenge, cancellationToken)
            : JoinFlightAsync(
                "obo\n" + key,
                () => AcquireOnBehalfOfFromMsalAsync(key, assertionHash, userAssertion, scopes, claimsChallenge: null, CancellationToken.None),
                cancellationToken));

    /// <summary>The request activity, the per-request metric and the debug line around one cache miss.</summary>
    private async Task<TokenResult> ObserveAsync(string flow, IReadOnlyList<string> scopes, Func<Task<TokenResult>> acquire)
    {
        using var activity = StartRequestActivity(flow, scopes);
        var started = _time.GetTimestamp();
        var result = await acquire().ConfigureAwait(false);
        var outcome = result.Succeeded ? "success" : result.Error.Error;
        _telemetry.TokenRequest(Name, flow, outcome);
        activity?.SetTag("tokenfunctions.outcome", outcome);
        activity?.SetTag("tokenfunctions.token_source", result.Token?.Source == TokenSource.Cache ? "cache" : "identity_provider");
        if (!result.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Error.Error);
            activity?.SetTag("tokenfunctions.correlation_id", result.Error.CorrelationId);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var resource = ScopeSet.Resource(scopes[0]);
            var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
            LogTokenRequest(_logger, Name, flow, resource, outcome, milliseconds);
        }
        return result;
    }

    private Activity? StartRequestActivity(string flow, IReadOnlyList<string> scopes)
    {
        var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.AcquireToken");
        activity?.SetTag("tokenfunctions.client", Name);
        activity?.SetTag("tokenfunctions.flow", flow);
        activity?.SetTag("tokenfunctions.resource", ScopeSet.Resource(scopes[0]));
        return activity;
    }

    /// <summary>
    /// Drops this client's app tokens from memory and from the Table (MSAL.NET has no API for it).
    /// Null when done; an error when the Table could not be cleared, so the caller can retry.
    /// </summary>
    public async Task<TokenError?> RemoveTokensForClientAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generation);
        _ready.Clear();
        _partitions.Clear();
        try
        {
            var deleted = await _table.DeletePartitionAsync(_tablePartition, cancellationToken).ConfigureAwait(false);
            LogTokensRemoved(_logger, Name, deleted);
            return null;
        }
        catch (TokenCacheUnavailableException)
        {
            return new TokenError(
                TokenErrorKind.DependencyUnavailable,
                "temporarily_unavailable",
                $"Client '{Name}': tokens were removed from memory, but the token cache table could not be cleared; retry.");
        }
    }

    private bool IsServable(AccessToken token)
    {
        var now = _time.GetUtcNow();
        return now < token.ExpiresOn - ExpiryMargin && (token.RefreshOn is not { } refreshOn || now < refreshOn);
    }

    private async Task<TokenResult> JoinFlightAsync(string key, Func<Task<TokenResult>> acquire, CancellationToken cancellationToken)
    {
        var flight = _inFlight.GetOrAdd(key, _ => new Lazy<Task<TokenResult>>(() => FlyAsync(key, acquire)));

        // Each caller waits with its own cancellation; the shared call runs on its own budget.
        return await flight.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<TokenResult> FlyAsync(string key, Func<Task<TokenResult>> acquire)
    {
        try
        {
            await Task.Yield();
            return await acquire().ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private async Task<TokenResult> AcquireFromMsalAsync(
        string key, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken, Func<AccessToken, bool>? isFresh = null)
    {
        var generation = Volatile.Read(ref _generation);
        var partition = PartitionFor(scopes[0]);
        if (_ready.ContainsKey(key))
        {
            // The token this instance holds is due: another instance (or the pre-warm timer) may have
            // refreshed it already.
            partition.MarkStale();
        }

        var tableReads = partition.TableReads;
        var result = await _exchange.RunAsync(
            partition.Key, ct => _exchange.AcquireForClientAsync(partition, scopes, claimsChallenge, isFresh ?? IsServable, ct), cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _telemetry.CacheResult(Name, result.Token.Source == TokenSource.IdentityProvider ? "miss" : partition.TableReads > tableReads ? "table" : "msal");
        }

        if (result.Succeeded && Volatile.Read(ref _generation) == generation)
        {
            Remember(_ready, key, result.Token);
            if (result.Token.Source == TokenSource.IdentityProvider)
            {
                _lifetimes[key] = result.Token.ExpiresOn - _time.GetUtcNow();
            }
        }

        return result;
    }

    private async Task<TokenResult> AcquireOnBehalfOfFromMsalAsync(
        string key, string assertionHash, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        var assertionExpiry = UserAssertionJwt.Expiry(userAssertion);
        if (assertionExpiry is { } expiry && expiry <= _time.GetUtcNow())
        {
            return new TokenError(TokenErrorKind.Rejected, "invalid_grant", "The user assertion has expired; the caller must get a new token from the user.");
        }

        var entry = new CacheEntryKey(CacheKeys.OnBehalfOfPartition(Name, _options.ClientId, Tenant, assertionHash), CacheKeys.OnBehalfOfRow);
        var result = await _exchange.RunAsync(entry, async ct =>
        {
            var token = await _exchange.AcquireOnBehalfOfAsync(entry, userAssertion, assertionExpiry, scopes, claimsChallenge, ct).ConfigureAwait(false);

            // Served from the front cache no longer than the assertion it was obtained for is valid.
            return assertionExpiry is { } limit && (token.RefreshOn is not { } refreshOn || refreshOn > limit)
                ? token with { RefreshOn = limit }
                : token;
        }, cancellationToken).ConfigureAwait(false);

        if (result.Succeeded)
        {
            Remember(_readyOnBehalfOf, key, result.Token);
        }

        return result;
    }

    private static void Remember(ConcurrentDictionary<string, AccessToken> ready, string key, AccessToken token)
    {
        if (ready.Count >= MaxReadyTokens)
        {
            // Bounded memory: more keys than any real caller set uses. Start over rather than grow;
            // MSAL and the Table still hold every token.
            ready.Clear();
        }

        ready[key] = token.FromCache();
    }

    private ResourcePartition PartitionFor(string scope)
    {
        var resource = ScopeSet.Resource(scope);
        if (_partitions.TryGetValue(resource, out var partition))
        {
            return partition;
        }

        if (_partitions.Count >= MaxResources)
        {
            // Bounded memory: MSAL applications are dropped, their tokens stay in the Table.
            _partitions.Clear();
        }

        return _partitions.GetOrAdd(resource, r => new ResourcePartition(
            region => _applications.Create(Name, _options, _certificates, region),
            _table,
            new CacheEntryKey(_tablePartition, CacheKeys.ResourceRow(r)),
            _logger));
    }

    /// <summary>The region this client's requests go to now, and the state of its regional circuit (for health).</summary>
    internal string RegionalCircuitState => _exchange.Circuit.State;

    /// <summary>The client's region setting as health shows it: a region name, TryAutoDetect, or global.</summary>
    internal string RegionSetting => string.IsNullOrWhiteSpace(_options.AzureRegion) ? "global" : _options.AzureRegion;

    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug,
        Message = "Token request: client {Client}, flow {Flow}, resource {Resource}, outcome {Outcome}, {DurationMs} ms")]
    private static partial void LogTokenRequest(ILogger logger, string client, string flow, string resource, string outcome, double durationMs);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information,
        Message = "Client {Client}: app tokens removed ({Entries} table entries)")]
    private static partial void LogTokensRemoved(ILogger logger, string client, int entries);
}
