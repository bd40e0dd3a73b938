using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using System.Text.Json;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.Extensibility;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

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

    private const int MaxReadyTokens = 1024;
    private const int MaxResources = 256;

    private readonly ConfidentialClientOptions _options;
    private readonly ICertificateSource? _certificates;
    private readonly MsalApplicationFactory _applications;
    private readonly TokenCacheTable _table;
    private readonly RegionResolver _regions;
    private readonly RegionalCircuit _circuit;
    private readonly EntraThrottle _throttle;
    private readonly EntraHttpOptions _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _tablePartition;
    private readonly string? _clientClaims;

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
        MsalApplicationFactory applications,
        TokenCacheTable table,
        RegionResolver regions,
        EntraThrottle throttle,
        EntraHttpOptions http,
        TimeProvider time,
        ILogger logger)
    {
        Name = name;
        _options = options;
        _certificates = certificates;
        _applications = applications;
        _table = table;
        _regions = regions;
        _throttle = throttle;
        _http = http;
        _time = time;
        _logger = logger;
        _circuit = new RegionalCircuit(name, http.RegionalFailureThreshold, http.RegionalCoolDown, time, logger);
        Tenant = AuthorityTenant.Of(options.Authority ?? options.OidcAuthority!);
        _clientClaims = options.ClientClaims.Count == 0 ? null : JsonSerializer.Serialize(options.ClientClaims);
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
        if (claimsChallenge is not null)
        {
            return new(AcquireFromMsalAsync(key, scopes, claimsChallenge, cancellationToken));
        }

        if (_ready.TryGetValue(key, out var ready) && IsServable(ready))
        {
            return new(ready);
        }

        return new(JoinFlightAsync(key, () => AcquireFromMsalAsync(key, scopes, claimsChallenge: null, CancellationToken.None), cancellationToken));
    }

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
        return refreshed.Succeeded
            ? new PrewarmOutcome(refreshed.Token.Source == TokenSource.IdentityProvider ? PrewarmState.Refreshed : PrewarmState.Fresh, null)
            : new PrewarmOutcome(PrewarmState.Failed, refreshed.Error);
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
        if (claimsChallenge is not null)
        {
            return new(AcquireOnBehalfOfFromMsalAsync(key, assertionHash, userAssertion, scopes, claimsChallenge, cancellationToken));
        }

        if (_readyOnBehalfOf.TryGetValue(key, out var ready) && IsServable(ready))
        {
            return new(ready);
        }

        return new(JoinFlightAsync(
            "obo\n" + key,
            () => AcquireOnBehalfOfFromMsalAsync(key, assertionHash, userAssertion, scopes, claimsChallenge: null, CancellationToken.None),
            cancellationToken));
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

        var result = await RunAsync(partition.Key, ct => AcquireAsync(partition, scopes, claimsChallenge, isFresh ?? IsServable, ct), cancellationToken).ConfigureAwait(false);
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
        var result = await RunAsync(entry, async ct =>
        {
            // One short-lived MSAL application per user assertion, bound to that assertion's entry only:
            // no user's tokens ever share an in-memory cache with another's.
            var application = _applications.Create(Name, _options, _certificates, region: null);
            new TableCacheBinding(_table, entry, _logger, assertionExpiry).Attach(application.UserTokenCache);
            var request = application.AcquireTokenOnBehalfOf(scopes, new UserAssertion(userAssertion));
            if (claimsChallenge is not null)
            {
                request = request.WithClaims(claimsChallenge);
            }

            if (_clientClaims is not null)
            {
                request = (AcquireTokenOnBehalfOfParameterBuilder)request.WithExtraClientAssertionClaims(_clientClaims);
            }

            request = (AcquireTokenOnBehalfOfParameterBuilder)request.OnBeforeTokenRequest(data => BeforeEntraCallAsync(entry, data));
            var token = ToAccessToken(await request.ExecuteAsync(ct).ConfigureAwait(false));

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

    /// <summary>
    /// MSAL calls this only when it is about to send a request to Entra, never on a cache hit: the
    /// moment to hold back when Entra throttles this client, and to drop the reserved scopes the
    /// client's <c>ExcludeScopes</c> names (MSAL.NET has no option for it).
    /// </summary>
    private async Task BeforeEntraCallAsync(CacheEntryKey key, OnBeforeTokenRequestData data)
    {
        await _throttle.EnsureNotThrottledAsync(key, data.CancellationToken).ConfigureAwait(false);
        if (_options.ExcludeScopes.Count > 0 && data.BodyParameters.TryGetValue("scope", out var scope))
        {
            data.BodyParameters["scope"] = string.Join(' ', scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(s => !_options.ExcludeScopes.Contains(s, StringComparer.OrdinalIgnoreCase)));
        }
    }

    /// <summary>
    /// Runs one token acquisition within the request budget and turns every way it can fail into the
    /// contract's error: Entra's refusals, throttling, the broker's credential, time. A certificate
    /// that Entra rejects is replaced by the vault's newer version and the acquisition retried once.
    /// </summary>
    private async Task<TokenResult> RunAsync(
        CacheEntryKey throttleKey, Func<CancellationToken, Task<AccessToken>> acquire, CancellationToken cancellationToken)
    {
        using var budgetTimer = new CancellationTokenSource(_http.RequestBudget, _time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budgetTimer.Token);
        try
        {
            try
            {
                return await acquire(budget.Token).ConfigureAwait(false);
            }
            catch (MsalServiceException ex) when (_certificates is not null && IsCertificateRejection(ex))
            {
                // Entra no longer accepts the certificate: the vault may hold a newer one. Retry once
                // with it; if there is nothing newer, fail clearly instead of looping.
                if (!await _certificates.ReloadAfterRejectionAsync(budget.Token).ConfigureAwait(false))
                {
                    var rejected = MsalErrorTranslator.Translate(ex, _time);
                    LogCertificateRejected(_logger, Name, _certificates.Description, rejected.CorrelationId);
                    return rejected with
                    {
                        Description = $"Entra rejected client '{Name}''s {_certificates.Description} and no newer version is available; register the certificate on the app registration or upload a new version. Entra said: {rejected.Description}",
                    };
                }

                return await acquire(budget.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogBudgetExhausted(_logger, Name, _http.RequestBudget);
            return new TokenError(TokenErrorKind.Timeout, "temporarily_unavailable", "Entra did not answer within the time budget.");
        }
        catch (Exception ex) when (ThrottledBy(ex) is { } retryAfter)
        {
            // Told by Entra (and remembered for every instance), or held back by that memory.
            if (ex is MsalServiceException)
            {
                await _throttle.RecordAsync(throttleKey, retryAfter, Name).ConfigureAwait(false);
            }

            var error = ex is MsalServiceException service ? MsalErrorTranslator.Translate(service, _time) : null;
            return (error ?? new TokenError(TokenErrorKind.Throttled, "temporarily_unavailable",
                "Entra is throttling token requests for this client; retry after the indicated time."))
                with { Kind = TokenErrorKind.Throttled, RetryAfter = retryAfter };
        }
        catch (CredentialUnavailableException ex)
        {
            LogCredentialUnavailable(_logger, Name, ex.FailureClass);
            return new TokenError(TokenErrorKind.DependencyUnavailable, "temporarily_unavailable", ex.Message);
        }
        catch (MsalException ex)
        {
            var error = MsalErrorTranslator.Translate(ex, _time);
            LogEntraFailed(_logger, Name, error.Error, error.CorrelationId);
            return error;
        }
        catch (HttpRequestException ex)
        {
            // MSAL lets a connection failure through as it is.
            LogEntraFailed(_logger, Name, $"unreachable ({ex.HttpRequestError})", null);
            return new TokenError(TokenErrorKind.UpstreamFailure, "temporarily_unavailable", $"Entra could not be reached ({ex.HttpRequestError}).");
        }
    }

    private async Task<AccessToken> AcquireAsync(
        ResourcePartition partition, IReadOnlyList<string> scopes, string? claimsChallenge, Func<AccessToken, bool> isFresh, CancellationToken cancellationToken)
    {
        var token = await ExecuteAsync(partition, scopes, claimsChallenge, forceRefresh: false, cancellationToken).ConfigureAwait(false);
        if (token.Source == TokenSource.Cache && !isFresh(token))
        {
            // MSAL (or the Table) still holds the token that is due by this core's clock and rules:
            // go to Entra for a new one rather than hand out one about to expire.
            token = await ExecuteAsync(partition, scopes, claimsChallenge, forceRefresh: true, cancellationToken).ConfigureAwait(false);
        }

        return token;
    }

    /// <summary>The AADSTS codes with which Entra refuses a certificate it no longer (or never) accepted.</summary>
    private static readonly HashSet<long> CertificateRejections = [700027, 700024, 7000214, 1000502, 7000274, 7000277];

    private static bool IsCertificateRejection(MsalServiceException exception) =>
        exception.ErrorCode == "invalid_client" &&
        (exception.ErrorCodesForLogging?.Any(c => long.TryParse(c, out var code) && CertificateRejections.Contains(code)) == true ||
         CertificateRejections.Any(code => exception.Message.Contains($"AADSTS{code}", StringComparison.Ordinal)));

    /// <summary>
    /// One MSAL call, regional first when the client has a region and its circuit allows: a regional
    /// attempt that times out, cannot connect or meets a 5xx is retried on the global endpoint within
    /// the same budget. Entra's 4xx answers are final wherever they come from.
    /// </summary>
    private async Task<AccessToken> ExecuteAsync(
        ResourcePartition partition, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken budget)
    {
        var region = await _regions.ResolveAsync(_options.AzureRegion, budget).ConfigureAwait(false);
        if (region.Name is { } name && _circuit.AllowRegional())
        {
            using var timer = new CancellationTokenSource(_http.RegionalAttemptTimeout, _time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(budget, timer.Token);
            try
            {
                var token = await ExecuteOnceAsync(partition.Regional(name), partition.Key, scopes, claimsChallenge, forceRefresh, attempt.Token).ConfigureAwait(false);
                _circuit.RecordSuccess();
                return token;
            }
            catch (Exception ex) when (!budget.IsCancellationRequested && IsRegionalOutage(ex, timer))
            {
                _circuit.RecordFailure();
                LogFailover(_logger, Name, name, timer.IsCancellationRequested ? "timeout" : ex is MsalServiceException { StatusCode: > 0 } service ? $"HTTP {service.StatusCode}" : ex.GetType().Name);
            }
        }

        using var globalTimer = new CancellationTokenSource(_http.AttemptTimeout, _time);
        using var globalAttempt = CancellationTokenSource.CreateLinkedTokenSource(budget, globalTimer.Token);
        return await ExecuteOnceAsync(partition.Global, partition.Key, scopes, claimsChallenge, forceRefresh, globalAttempt.Token).ConfigureAwait(false);
    }

    /// <summary>How long Entra asked to wait, when the failure is a throttle (429, or 503 with Retry-After).</summary>
    private TimeSpan? ThrottledBy(Exception exception) => exception switch
    {
        EntraThrottledException held => held.RetryAfter,
        MsalServiceException { InnerException: EntraThrottledException held } => held.RetryAfter,
        MsalThrottledServiceException throttled => MsalErrorTranslator.RetryAfter(throttled, _time),
        MsalServiceException { StatusCode: 429 } service => MsalErrorTranslator.RetryAfter(service, _time),
        MsalServiceException { StatusCode: 503, Headers.RetryAfter: not null } service => MsalErrorTranslator.RetryAfter(service, _time),
        _ => null,
    };

    private static bool IsRegionalOutage(Exception exception, CancellationTokenSource attemptTimer) => exception switch
    {
        OperationCanceledException => attemptTimer.IsCancellationRequested,
        MsalThrottledServiceException => false,
        MsalServiceException { StatusCode: 503, Headers.RetryAfter: not null } => false,
        MsalServiceException { StatusCode: 0 or >= 500 } => true,
        MsalServiceException { ErrorCode: "request_timeout" or "service_not_available" } => true,
        HttpRequestException => true,
        _ => false,
    };

    private async Task<AccessToken> ExecuteOnceAsync(
        MsalApplication msal, CacheEntryKey partitionKey, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken cancellationToken)
    {
        var request = msal.Application.AcquireTokenForClient(scopes).WithForceRefresh(forceRefresh);
        if (claimsChallenge is not null)
        {
            request = request.WithClaims(claimsChallenge);
        }

        if (_clientClaims is not null)
        {
            request = (AcquireTokenForClientParameterBuilder)request.WithExtraClientAssertionClaims(_clientClaims);
        }

        request = (AcquireTokenForClientParameterBuilder)request.OnBeforeTokenRequest(data => BeforeEntraCallAsync(partitionKey, data));
        return ToAccessToken(await request.ExecuteAsync(cancellationToken).ConfigureAwait(false));
    }

    private static AccessToken ToAccessToken(AuthenticationResult result) => new(
        result.TokenType ?? "Bearer",
        result.AccessToken,
        result.ExpiresOn,
        result.AuthenticationResultMetadata?.RefreshOn,
        result.AuthenticationResultMetadata?.TokenSource == Microsoft.Identity.Client.TokenSource.IdentityProvider
            ? TokenSource.IdentityProvider
            : TokenSource.Cache);

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
    internal string RegionalCircuitState => _circuit.State;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Client {Client}: token request exceeded its budget of {Budget}")]
    private static partial void LogBudgetExhausted(ILogger logger, string client, TimeSpan budget);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Client {Client}: credential unavailable ({FailureClass}); no token could be issued")]
    private static partial void LogCredentialUnavailable(ILogger logger, string client, string failureClass);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error,
        Message = "Client {Client}: Entra rejected the {Certificate} and no newer version is available (correlation {CorrelationId})")]
    private static partial void LogCertificateRejected(ILogger logger, string client, string certificate, string? correlationId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra refused or failed the token request: {Error} (correlation {CorrelationId})")]
    private static partial void LogEntraFailed(ILogger logger, string client, string error, string? correlationId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
        Message = "Client {Client}: regional endpoint {Region} failed ({Reason}); failing over to the global endpoint")]
    private static partial void LogFailover(ILogger logger, string client, string region, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information,
        Message = "Client {Client}: app tokens removed ({Entries} table entries)")]
    private static partial void LogTokensRemoved(ILogger logger, string client, int entries);
}
