using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.Extensibility;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Diagnostics;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Tokens;

/// <summary>
/// One client's exchanges with Entra through MSAL: the request budget and per-attempt timeouts,
/// regional first with failover to global, throttling shared across instances, one retry with a
/// newer certificate when Entra rejects the current one, and every failure turned into the
/// contract's error. <see cref="ConfidentialClient"/> decides when to come here; this decides how.
/// </summary>
internal sealed partial class EntraExchange
{
    /// <summary>The AADSTS codes with which Entra refuses a certificate it no longer (or never) accepted.</summary>
    private static readonly HashSet<long> CertificateRejections = [700027, 700024, 7000214, 1000502, 7000274, 7000277];

    private readonly string _client;
    private readonly ConfidentialClientOptions _options;
    private readonly ICertificateSource? _certificates;
    private readonly MsalApplicationFactory _applications;
    private readonly TokenCacheTable _table;
    private readonly RegionResolver _regions;
    private readonly EntraThrottle _throttle;
    private readonly EntraHttpOptions _http;
    private readonly TokenTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _clientClaims;

    public EntraExchange(
        string client,
        ConfidentialClientOptions options,
        ICertificateSource? certificates,
        MsalApplicationFactory applications,
        TokenCacheTable table,
        RegionResolver regions,
        EntraThrottle throttle,
        EntraHttpOptions http,
        TokenTelemetry telemetry,
        TimeProvider time,
        ILogger logger)
    {
        _client = client;
        _options = options;
        _certificates = certificates;
        _applications = applications;
        _table = table;
        _regions = regions;
        _throttle = throttle;
        _http = http;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _clientClaims = options.ClientClaims.Count == 0 ? null : JsonSerializer.Serialize(options.ClientClaims);
        Circuit = new RegionalCircuit(client, http.RegionalFailureThreshold, http.RegionalCoolDown, time, telemetry, logger);
    }

    public RegionalCircuit Circuit { get; }

    /// <summary>
    /// Runs one token acquisition within the request budget and turns every way it can fail into the
    /// contract's error: Entra's refusals, throttling, the broker's credential, time. A certificate
    /// that Entra rejects is replaced by the vault's newer version and the acquisition retried once.
    /// </summary>
    public async Task<TokenResult> RunAsync(
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
                    LogCertificateRejected(_logger, _client, _certificates.Description, rejected.CorrelationId);
                    return rejected with
                    {
                        Description = $"Entra rejected client '{_client}''s {_certificates.Description} and no newer version is available; register the certificate on the app registration or upload a new version. Entra said: {rejected.Description}",
                    };
                }

                return await acquire(budget.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogBudgetExhausted(_logger, _client, _http.RequestBudget);
            return new TokenError(TokenErrorKind.Timeout, "temporarily_unavailable", "Entra did not answer within the time budget.");
        }
        catch (Exception ex) when (ThrottledBy(ex) is { } retryAfter)
        {
            // Told by Entra (and remembered for every instance), or held back by that memory.
            _telemetry.Throttled(_client);
            if (ex is MsalServiceException)
            {
                await _throttle.RecordAsync(throttleKey, retryAfter, _client).ConfigureAwait(false);
            }

            var error = ex is MsalServiceException service ? MsalErrorTranslator.Translate(service, _time) : null;
            return (error ?? new TokenError(TokenErrorKind.Throttled, "temporarily_unavailable",
                "Entra is throttling token requests for this client; retry after the indicated time."))
                with { Kind = TokenErrorKind.Throttled, RetryAfter = retryAfter };
        }
        catch (CredentialUnavailableException ex)
        {
            LogCredentialUnavailable(_logger, _client, ex.FailureClass);
            return new TokenError(TokenErrorKind.DependencyUnavailable, "temporarily_unavailable", ex.Message);
        }
        catch (MsalException ex)
        {
            var error = MsalErrorTranslator.Translate(ex, _time);
            LogEntraFailed(_logger, _client, error.Error, error.CorrelationId);
            return error;
        }
        catch (HttpRequestException ex)
        {
            // MSAL lets a connection failure through as it is.
            LogEntraFailed(_logger, _client, $"unreachable ({ex.HttpRequestError})", null);
            return new TokenError(TokenErrorKind.UpstreamFailure, "temporarily_unavailable", $"Entra could not be reached ({ex.HttpRequestError}).");
        }
    }

    /// <summary>
    /// A client-credentials token from MSAL (its memory, the Table, or Entra). When what MSAL holds is
    /// due by <paramref name="isFresh"/> (this core's clock and rules), Entra is asked for a new one.
    /// </summary>
    public async Task<AccessToken> AcquireForClientAsync(
        ResourcePartition partition, IReadOnlyList<string> scopes, string? claimsChallenge, Func<AccessToken, bool> isFresh, CancellationToken cancellationToken)
    {
        var token = await ExecuteAsync(partition, scopes, claimsChallenge, forceRefresh: false, cancellationToken).ConfigureAwait(false);
        if (token.Source == TokenSource.Cache && !isFresh(token))
        {
            try
            {
                token = await ExecuteAsync(partition, scopes, claimsChallenge, forceRefresh: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MsalException or HttpRequestException or OperationCanceledException or CredentialUnavailableException or EntraThrottledException
                && IsStillValid(token))
            {
                // Due (past its refresh point, or short of the pre-warm threshold) but still valid by
                // MSAL's rules: an Entra failure must not turn a usable token into an outage.
                LogServedDueToken(_logger, _client, ex.GetType().Name);
            }
        }

        return token;
    }

    private bool IsStillValid(AccessToken token) => _time.GetUtcNow() < token.ExpiresOn - TimeSpan.FromMinutes(5);

    /// <summary>
    /// An on-behalf-of token, through one short-lived MSAL application per user assertion bound to
    /// that assertion's entry only: no user's tokens ever share an in-memory cache with another's.
    /// Always the global endpoint: Entra has no regional on-behalf-of.
    /// </summary>
    public async Task<AccessToken> AcquireOnBehalfOfAsync(
        CacheEntryKey entry, string userAssertion, DateTimeOffset? assertionExpiry, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken)
    {
        var application = _applications.Create(_client, _options, _certificates, region: null);
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

        var call = new EntraCall(this, entry, "on_behalf_of", region: null);
        request = (AcquireTokenOnBehalfOfParameterBuilder)request.OnBeforeTokenRequest(call.BeforeSendAsync);
        return await call.CompleteAsync(request.ExecuteAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// One MSAL call, regional first when the client has a region and its circuit allows: a regional
    /// attempt that times out, cannot connect or meets a 5xx is retried on the global endpoint within
    /// the same budget. Entra's 4xx answers are final wherever they come from.
    /// </summary>
    private async Task<AccessToken> ExecuteAsync(
        ResourcePartition partition, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken budget)
    {
        var region = await _regions.ResolveAsync(_options.AzureRegion, budget).ConfigureAwait(false);
        if (region.Name is { } name && Circuit.AllowRegional())
        {
            using var timer = new CancellationTokenSource(_http.RegionalAttemptTimeout, _time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(budget, timer.Token);
            try
            {
                var token = await ExecuteOnceAsync(partition.Regional(name), partition.Key, scopes, claimsChallenge, forceRefresh, attempt.Token).ConfigureAwait(false);
                if (token.Source == TokenSource.IdentityProvider)
                {
                    Circuit.RecordSuccess();
                }
                else
                {
                    Circuit.ReleaseProbe(); // a cache hit says nothing about the region
                }

                return token;
            }
            catch (Exception ex) when (!budget.IsCancellationRequested && IsRegionalOutage(ex, timer))
            {
                Circuit.RecordFailure();
                LogFailover(_logger, _client, name, timer.IsCancellationRequested ? "timeout" : ex is MsalServiceException { StatusCode: > 0 } service ? $"HTTP {service.StatusCode}" : ex.GetType().Name);
            }
            catch (MsalServiceException ex) when (ex.StatusCode is >= 400 and < 500)
            {
                // Entra answered from the region (a 4xx is the request's fault, not the region's).
                Circuit.RecordSuccess();
                throw;
            }
            catch
            {
                // Anything else (the budget, the credential, throttling) leaves the circuit as it was.
                Circuit.ReleaseProbe();
                throw;
            }
        }

        using var globalTimer = new CancellationTokenSource(_http.AttemptTimeout, _time);
        using var globalAttempt = CancellationTokenSource.CreateLinkedTokenSource(budget, globalTimer.Token);
        return await ExecuteOnceAsync(partition.Global, partition.Key, scopes, claimsChallenge, forceRefresh, globalAttempt.Token).ConfigureAwait(false);
    }

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

        var call = new EntraCall(this, partitionKey, "client_credentials", msal.Region);
        request = (AcquireTokenForClientParameterBuilder)request.OnBeforeTokenRequest(call.BeforeSendAsync);
        return await call.CompleteAsync(request.ExecuteAsync(cancellationToken)).ConfigureAwait(false);
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

    private static bool IsCertificateRejection(MsalServiceException exception) =>
        exception.ErrorCode == "invalid_client" &&
        (exception.ErrorCodesForLogging?.Any(c => long.TryParse(c, out var code) && CertificateRejections.Contains(code)) == true ||
         CertificateRejections.Any(code => exception.Message.Contains($"AADSTS{code}", StringComparison.Ordinal)));

    private static AccessToken ToAccessToken(AuthenticationResult result) => new(
        result.TokenType ?? "Bearer",
        result.AccessToken,
        result.ExpiresOn,
        result.AuthenticationResultMetadata?.RefreshOn,
        result.AuthenticationResultMetadata?.TokenSource == Microsoft.Identity.Client.TokenSource.IdentityProvider
            ? TokenSource.IdentityProvider
            : TokenSource.Cache);

    /// <summary>
    /// One MSAL call as Entra sees it. MSAL invokes <see cref="BeforeSendAsync"/> only when it is about
    /// to send a request to Entra, never on a cache hit: the moment to hold back when Entra throttles
    /// this client, to drop the reserved scopes <c>ExcludeScopes</c> names (MSAL.NET has no option for
    /// it), and to start the Entra activity, metric and log line.
    /// </summary>
    private sealed class EntraCall(EntraExchange exchange, CacheEntryKey key, string flow, string? region)
    {
        private Activity? _activity;
        private long _started;

        public async Task BeforeSendAsync(OnBeforeTokenRequestData data)
        {
            await exchange._throttle.EnsureNotThrottledAsync(key, data.CancellationToken).ConfigureAwait(false);
            var excluded = exchange._options.ExcludeScopes;
            if (excluded.Count > 0 && data.BodyParameters.TryGetValue("scope", out var scope))
            {
                data.BodyParameters["scope"] = string.Join(' ', scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Where(s => !excluded.Contains(s, StringComparer.OrdinalIgnoreCase)));
            }

            _started = exchange._time.GetTimestamp();
            _activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.Entra", ActivityKind.Client);
            _activity?.SetTag("tokenfunctions.client", exchange._client);
            _activity?.SetTag("tokenfunctions.flow", flow);
            _activity?.SetTag("tokenfunctions.region", region ?? "global");
            _activity?.SetTag("server.address", data.RequestUri.Host);
        }

        public async Task<AccessToken> CompleteAsync(Task<AuthenticationResult> execution)
        {
            try
            {
                var result = await execution.ConfigureAwait(false);
                if (_started != 0)
                {
                    Finish("success", result.CorrelationId.ToString(), result.Scopes.FirstOrDefault());
                }

                return ToAccessToken(result);
            }
            catch (Exception ex) when (_started != 0)
            {
                Finish(ex is MsalServiceException service ? service.ErrorCode : ex.GetType().Name, (ex as MsalServiceException)?.CorrelationId, null);
                throw;
            }
        }

        private void Finish(string outcome, string? correlationId, string? scope)
        {
            var elapsed = exchange._time.GetElapsedTime(_started);
            exchange._telemetry.EntraCall(exchange._client, region, outcome, elapsed.TotalMilliseconds);
            LogEntraCall(exchange._logger, exchange._client, flow, scope is null ? "" : ScopeSet.Resource(scope), outcome, elapsed.TotalMilliseconds, region ?? "global", correlationId);
            if (_activity is { } activity)
            {
                activity.SetTag("tokenfunctions.outcome", outcome);
                activity.SetTag("tokenfunctions.correlation_id", correlationId);
                activity.SetStatus(outcome == "success" ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
                activity.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Client {Client}: token request exceeded its budget of {Budget}")]
    private static partial void LogBudgetExhausted(ILogger logger, string client, TimeSpan budget);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Client {Client}: credential unavailable ({FailureClass}); no token could be issued")]
    private static partial void LogCredentialUnavailable(ILogger logger, string client, string failureClass);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra refused or failed the token request: {Error} (correlation {CorrelationId})")]
    private static partial void LogEntraFailed(ILogger logger, string client, string error, string? correlationId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error,
        Message = "Client {Client}: Entra rejected the {Certificate} and no newer version is available (correlation {CorrelationId})")]
    private static partial void LogCertificateRejected(ILogger logger, string client, string certificate, string? correlationId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information,
        Message = "Entra call: client {Client}, flow {Flow}, resource {Resource}, outcome {Outcome}, {DurationMs} ms, region {Region}, correlation {CorrelationId}")]
    private static partial void LogEntraCall(ILogger logger, string client, string flow, string resource, string outcome, double durationMs, string region, string? correlationId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning,
        Message = "Client {Client}: refreshing a due token failed ({Failure}); the cached token, still valid, is served")]
    private static partial void LogServedDueToken(ILogger logger, string client, string failure);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
        Message = "Client {Client}: regional endpoint {Region} failed ({Reason}); failing over to the global endpoint")]
    private static partial void LogFailover(ILogger logger, string client, string region, string reason);
}
