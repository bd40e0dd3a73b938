using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Telemetry;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Tokens;

/// <summary>
/// How every acquisition of one client runs: within the request budget (<c>Http__RequestBudget</c>),
/// once more with another certificate when Entra rejects the one it signed with, and with every way it can
/// fail — Entra's refusals, throttling, the broker's own credential, time — turned into the contract's
/// <see cref="TokenError"/>. A throttle Entra announces is remembered for every instance.
/// </summary>
public sealed partial class AcquisitionPolicy(
    ClientRegistration client, EntraThrottle throttle, IOptions<EntraHttpOptions> http, TokenTelemetry telemetry, TimeProvider time)
{
    private readonly TimeSpan _budget = http.Value.RequestBudget;

    /// <summary>How long one whole token request may take (<c>Http__RequestBudget</c>).</summary>
    public TimeSpan Budget => _budget;

    /// <param name="row">The Table row of the tokens being acquired, under whose name a throttle is remembered.</param>
    /// <param name="spent">What the request has already spent of its budget (a new instance's read of the row).</param>
    public async Task<TokenResult> RunAsync(
        CacheEntryKey row, Func<CancellationToken, Task<AccessToken>> acquire, CancellationToken cancellationToken, TimeSpan spent = default)
    {
        using var budgetTimer = new CancellationTokenSource(spent < _budget ? _budget - spent : TimeSpan.Zero, time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budgetTimer.Token);
        var signing = AcquisitionCredential.Track();
        try
        {
            try
            {
                return await acquire(budget.Token).ConfigureAwait(false);
            }
            catch (MsalServiceException ex) when (client.Certificates is not null && EntraFailure.IsCertificateRejection(ex))
            {
                // Entra no longer accepts the certificate: the vault may hold another one. Retry once
                // with it; if there is nothing else, fail clearly instead of looping.
                if (!await client.Certificates.ReloadAfterRejectionAsync(signing.SignedBy, budget.Token).ConfigureAwait(false))
                {
                    return CertificateRejected(ex, client.Certificates);
                }

                return await acquire(budget.Token).ConfigureAwait(false);
            }
            catch (MsalServiceException ex) when (client.Assertions is not null && EntraFailure.IsAssertionRejection(ex))
            {
                // The same for an assertion signed in the vault or issued to a managed identity: the
                // source forgets what it reuses and says whether its credential changed.
                if (!await client.Assertions.ReloadAfterRejectionAsync(signing.SignedBy, budget.Token).ConfigureAwait(false))
                {
                    return AssertionRejected(ex, client.Assertions);
                }

                return await acquire(budget.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && signing.Pending is { } pending)
        {
            // The budget ran out before Entra was called: the vault or the identity endpoint did not answer.
            LogCredentialTimedOut(client.Logger, client.Name, pending, _budget);
            return new TokenError(
                TokenErrorKind.DependencyUnavailable,
                "temporarily_unavailable",
                $"Client '{client.Name}': no answer from its credential ({pending}) within the time budget of {_budget.TotalSeconds:0.#} s; Entra was not called.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogBudgetExhausted(client.Logger, client.Name, _budget);
            return new TokenError(TokenErrorKind.Timeout, "temporarily_unavailable", "Entra did not answer within the time budget.");
        }
        catch (Exception ex) when (EntraFailure.ThrottledBy(ex, time) is { } retryAfter)
        {
            return await ThrottledAsync(row, ex, retryAfter).ConfigureAwait(false);
        }
        catch (ClientCredentialUnavailableException ex)
        {
            LogCredentialUnavailable(client.Logger, client.Name, ex.FailureClass);
            return new TokenError(TokenErrorKind.DependencyUnavailable, "temporarily_unavailable", ex.Message);
        }
        catch (MsalException ex)
        {
            var error = MsalErrorTranslator.Translate(ex, time);
            LogEntraFailed(client.Logger, client.Name, error.Error, error.CorrelationId);
            return error;
        }
        catch (HttpRequestException ex)
        {
            // MSAL lets a connection failure through as it is.
            LogEntraFailed(client.Logger, client.Name, $"unreachable ({ex.HttpRequestError})", null);
            return new TokenError(TokenErrorKind.UpstreamFailure, "temporarily_unavailable", $"Entra could not be reached ({ex.HttpRequestError}).");
        }
    }

    private TokenError CertificateRejected(MsalServiceException exception, ICertificateSource certificates)
    {
        var rejected = MsalErrorTranslator.Translate(exception, time);
        LogCertificateRejected(client.Logger, client.Name, certificates.Description, rejected.CorrelationId);
        return rejected with
        {
            Description = $"Entra rejected client '{client.Name}''s {certificates.Description} and no newer version is available; register the certificate on the app registration or upload a new version. Entra said: {rejected.Description}",
        };
    }

    private TokenError AssertionRejected(MsalServiceException exception, IClientAssertionSource assertions)
    {
        var rejected = MsalErrorTranslator.Translate(exception, time);
        LogCertificateRejected(client.Logger, client.Name, assertions.Description, rejected.CorrelationId);
        return rejected with
        {
            // The broker's credential, whatever status Entra gave it (AADSTS70021 comes as a 400).
            Kind = TokenErrorKind.UpstreamFailure,
            Description = $"Entra rejected the client assertion of client '{client.Name}' ({assertions.Description}). Entra said: {rejected.Description}",
        };
    }

    /// <summary>Told by Entra (and then remembered for every instance), or held back by that memory.</summary>
    private async Task<TokenError> ThrottledAsync(CacheEntryKey row, Exception exception, TimeSpan retryAfter)
    {
        telemetry.Throttled(client.Name);
        if (exception is not MsalServiceException service)
        {
            return new TokenError(TokenErrorKind.Throttled, "temporarily_unavailable", "Entra is throttling token requests for this client; retry after the indicated time.")
            {
                RetryAfter = retryAfter,
            };
        }

        await throttle.RecordAsync(row, retryAfter, client.Name).ConfigureAwait(false);
        return MsalErrorTranslator.Translate(service, time) with { Kind = TokenErrorKind.Throttled, RetryAfter = retryAfter };
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Client {Client}: token request exceeded its budget of {Budget}")]
    private static partial void LogBudgetExhausted(ILogger logger, string client, TimeSpan budget);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error,
        Message = "Client {Client}: its credential ({Credential}) did not answer within the budget of {Budget}; Entra was not called")]
    private static partial void LogCredentialTimedOut(ILogger logger, string client, string credential, TimeSpan budget);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Client {Client}: credential unavailable ({FailureClass}); no token could be issued")]
    private static partial void LogCredentialUnavailable(ILogger logger, string client, string failureClass);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra refused or failed the token request: {Error} (correlation {CorrelationId})")]
    private static partial void LogEntraFailed(ILogger logger, string client, string error, string? correlationId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error,
        Message = "Client {Client}: Entra rejected the {Certificate} and no newer version is available (correlation {CorrelationId})")]
    private static partial void LogCertificateRejected(ILogger logger, string client, string certificate, string? correlationId);
}
