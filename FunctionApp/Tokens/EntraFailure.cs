using Microsoft.Identity.Client;

namespace TokenFunctions.Tokens;

/// <summary>
/// What kind of failure an exception from an MSAL call is — the one place that decides, so that
/// failover, throttling and certificate rotation agree. <see cref="MsalErrorTranslator"/> then says
/// what the caller is told.
/// </summary>
public static class EntraFailure
{
    /// <summary>The AADSTS codes with which Entra refuses a certificate it no longer (or never) accepted.</summary>
    private static readonly HashSet<long> CertificateRejections = [700027, 700024, 7000214, 1000502, 7000274, 7000277];

    /// <summary>How long Entra asked to wait, when the failure is a throttle (429, or 503 with Retry-After).</summary>
    public static TimeSpan? ThrottledBy(Exception exception, TimeProvider time) => exception switch
    {
        EntraThrottledException held => held.RetryAfter,
        MsalServiceException { InnerException: EntraThrottledException held } => held.RetryAfter,
        MsalThrottledServiceException throttled => MsalErrorTranslator.RetryAfter(throttled, time),
        MsalServiceException { StatusCode: 429 } service => MsalErrorTranslator.RetryAfter(service, time),
        MsalServiceException { StatusCode: 503, Headers.RetryAfter: not null } service => MsalErrorTranslator.RetryAfter(service, time),
        _ => null,
    };

    /// <summary>
    /// The regional endpoint failed rather than the request: the attempt timed out, could not connect,
    /// or met a 5xx — a 503 with <c>Retry-After</c> included, which from a region says the region is
    /// unavailable (and so does MSAL's local memory of one), not that this client must wait everywhere.
    /// Worth the same request on the global endpoint; only a 429 is a throttle wherever it comes from.
    /// </summary>
    public static bool IsRegionalOutage(Exception exception, bool attemptTimedOut) => exception switch
    {
        OperationCanceledException => attemptTimedOut,
        MsalThrottledServiceException { StatusCode: 503 } => true,
        MsalThrottledServiceException => false,
        MsalServiceException { StatusCode: 0 or >= 500 } => true,
        MsalServiceException { ErrorCode: "request_timeout" or "service_not_available" } => true,
        HttpRequestException => true,
        _ => false,
    };

    /// <summary>
    /// The AADSTS codes with which Entra refuses a client assertion the broker did not sign with a
    /// downloaded certificate: the certificate ones, and a federated credential that does not match.
    /// </summary>
    private static readonly HashSet<long> AssertionRejections = [.. CertificateRejections, NoMatchingFederatedCredential, 700211, 700212, 700213];

    private const long NoMatchingFederatedCredential = 70021;

    /// <summary>
    /// Entra refused a client assertion from an <see cref="Credentials.IClientAssertionSource"/>. When no
    /// federated credential of the app matches at all (AADSTS70021), Entra says so as a 400
    /// <c>invalid_request</c> rather than <c>invalid_client</c>: still the broker's credential, not the caller's request.
    /// </summary>
    public static bool IsAssertionRejection(Exception exception) =>
        IsRejection(exception, AssertionRejections) ||
        exception is MsalServiceException { ErrorCode: "invalid_request" } service && HasCode(service, NoMatchingFederatedCredential);

    /// <summary>Entra refused the client's certificate: a newer version in the vault may be the one it accepts.</summary>
    public static bool IsCertificateRejection(Exception exception) => IsRejection(exception, CertificateRejections);

    private static bool IsRejection(Exception exception, HashSet<long> codes) =>
        exception is MsalServiceException { ErrorCode: "invalid_client" } service && codes.Any(code => HasCode(service, code));

    private static bool HasCode(MsalServiceException service, long code) =>
        service.ErrorCodesForLogging?.Any(c => long.TryParse(c, out var logged) && logged == code) == true ||
        service.Message.Contains($"AADSTS{code}:", StringComparison.Ordinal);
}
