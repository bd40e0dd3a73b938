using System.Net;
using System.Text.Json;
using Microsoft.Identity.Client;

namespace TokenFunctions.Tokens;

/// <summary>
/// Turns MSAL's exceptions into the contract's errors. Entra's own fields are passed through as
/// Entra sent them; MSAL's client-side messages are replaced by fixed descriptions, since they may
/// quote request details.
/// </summary>
public static class MsalErrorTranslator
{
    public static TokenError Translate(MsalException exception, TimeProvider time) => exception switch
    {
        MsalServiceException service => FromService(service, time),
        _ => new TokenError(
            TokenErrorKind.UpstreamFailure,
            "server_error",
            $"The token request could not be completed ({exception.ErrorCode}).")
        {
            CorrelationId = NullIfEmpty((exception as MsalClientException)?.AdditionalExceptionData?.GetValueOrDefault("correlation_id")),
        },
    };

    private static TokenError FromService(MsalServiceException exception, TimeProvider time)
    {
        var body = EntraErrorBody.Parse(exception.ResponseBody);
        var error = body.Error ?? exception.ErrorCode ?? "server_error";
        var kind = KindOf(exception, error);
        var description = body.Description ?? kind switch
        {
            TokenErrorKind.Timeout => "Entra did not answer within the time budget.",
            TokenErrorKind.Throttled => "Entra is throttling requests for this client; retry after the indicated time.",
            _ => $"Entra could not be reached or answered without an error description ({exception.ErrorCode}).",
        };

        return new TokenError(kind, error, description)
        {
            ErrorCodes = body.ErrorCodes,
            CorrelationId = body.CorrelationId ?? NullIfEmpty(exception.CorrelationId),
            SubError = body.SubError,
            Claims = body.Claims ?? NullIfEmpty(exception.Claims),
            RetryAfter = kind == TokenErrorKind.Throttled ? RetryAfter(exception, time) : null,
        };
    }

    private static TokenErrorKind KindOf(MsalServiceException exception, string error) => exception switch
    {
        MsalThrottledServiceException => TokenErrorKind.Throttled,
        { StatusCode: (int)HttpStatusCode.TooManyRequests } => TokenErrorKind.Throttled,
        { StatusCode: (int)HttpStatusCode.ServiceUnavailable, Headers.RetryAfter: not null } => TokenErrorKind.Throttled,
        { ErrorCode: "request_timeout" } => TokenErrorKind.Timeout,
        { StatusCode: >= 500 } => TokenErrorKind.UpstreamFailure,
        // The broker's own credential was refused: not the caller's fault, and not fixable by it.
        _ when error == "invalid_client" || exception.StatusCode == (int)HttpStatusCode.Unauthorized => TokenErrorKind.UpstreamFailure,
        { StatusCode: >= 400 and < 500 } => TokenErrorKind.Rejected,
        _ => TokenErrorKind.UpstreamFailure,
    };

    public static TimeSpan RetryAfter(MsalServiceException exception, TimeProvider time)
    {
        var header = exception.Headers?.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : TimeSpan.Zero);
        return delay > TimeSpan.Zero ? delay : TimeSpan.FromSeconds(5);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The fields of Entra's JSON error body that the contract passes on.</summary>
    private sealed record EntraErrorBody(
        string? Error, string? Description, IReadOnlyList<long>? ErrorCodes, string? CorrelationId, string? SubError, string? Claims)
    {
        private static readonly EntraErrorBody Empty = new(null, null, null, null, null, null);

        public static EntraErrorBody Parse(string? json)
        {
            if (string.IsNullOrWhiteSpace(json))
            {
                return Empty;
            }

            try
            {
                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return Empty;
                }

                return new EntraErrorBody(
                    String(root, "error"),
                    String(root, "error_description"),
                    Codes(root),
                    String(root, "correlation_id"),
                    String(root, "suberror"),
                    String(root, "claims"));
            }
            catch (JsonException)
            {
                return Empty;
            }
        }

        private static string? String(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? NullIfEmpty(value.GetString()) : null;

        private static List<long>? Codes(JsonElement root) =>
            root.TryGetProperty("error_codes", out var codes) && codes.ValueKind == JsonValueKind.Array
                ? codes.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out _)).Select(c => c.GetInt64()).ToList()
                : null;
    }
}
