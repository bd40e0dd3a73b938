using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// Writes the contract's JSON (snake_case, as OAuth and MSAL) straight to the response, with the
/// headers a token response must carry. It needs no MVC formatters, so it runs the same in the
/// Functions host and in a test's <see cref="DefaultHttpContext"/>.
/// </summary>
public sealed class OAuthJsonResult : IActionResult
{
    private readonly int _status;
    private readonly Action<Utf8JsonWriter> _write;
    private readonly TimeSpan? _retryAfter;
    private readonly string? _allow;

    private OAuthJsonResult(int status, Action<Utf8JsonWriter> write, TimeSpan? retryAfter = null, string? allow = null)
    {
        _status = status;
        _write = write;
        _retryAfter = retryAfter;
        _allow = allow;
    }

    public static OAuthJsonResult Token(AccessToken token, DateTimeOffset now) => new(StatusCodes.Status200OK, json =>
    {
        json.WriteString("token_type", token.TokenType);
        json.WriteString("access_token", token.Value);
        json.WriteNumber("expires_in", Math.Max(0, (long)(token.ExpiresOn - now).TotalSeconds));
        json.WriteNumber("expires_on", token.ExpiresOn.ToUnixTimeSeconds());
        if (token.RefreshOn is { } refreshOn)
        {
            json.WriteNumber("refresh_in", Math.Max(0, (long)(refreshOn - now).TotalSeconds));
        }

        json.WriteString("token_source", token.Source == TokenSource.Cache ? "cache" : "identity_provider");
    });

    /// <summary>
    /// A token as the App Service managed-identity protocol answers it: <c>expires_on</c> as a string of
    /// epoch seconds (Python and JavaScript read only that field), <c>expires_in</c> as a number.
    /// </summary>
    public static OAuthJsonResult ManagedIdentityToken(AccessToken token, string resource, string clientId, DateTimeOffset now) => new(StatusCodes.Status200OK, json =>
    {
        json.WriteString("access_token", token.Value);
        json.WriteString("expires_on", token.ExpiresOn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        json.WriteNumber("expires_in", Math.Max(0, (long)(token.ExpiresOn - now).TotalSeconds));
        json.WriteString("resource", resource);
        json.WriteString("token_type", token.TokenType);
        json.WriteString("client_id", clientId);
    });

    /// <summary>The contract's error; <paramref name="status"/> overrides the kind's status where a route's clients need another.</summary>
    public static OAuthJsonResult Error(TokenError error, string fallbackCorrelationId, int? status = null) => new(status ?? StatusOf(error.Kind), json =>
    {
        WriteError(json, error.Error, error.Description, error.CorrelationId ?? fallbackCorrelationId);
        if (error.ErrorCodes is { Count: > 0 } codes)
        {
            json.WriteStartArray("error_codes");
            foreach (var code in codes)
            {
                json.WriteNumberValue(code);
            }

            json.WriteEndArray();
        }

        if (error.SubError is { } subError)
        {
            json.WriteString("suberror", subError);
        }

        if (error.Claims is { } claims)
        {
            json.WriteString("claims", claims);
        }
    }, error.RetryAfter);

    public static OAuthJsonResult Status(int status, Action<Utf8JsonWriter> write) => new(status, write);

    /// <summary>405 for a method the route does not serve, with <c>Allow</c> listing the ones it does.</summary>
    public static OAuthJsonResult MethodNotAllowed(IReadOnlyList<string> allowed, string correlationId) => new(
        StatusCodes.Status405MethodNotAllowed,
        json => WriteError(json, "invalid_request", $"This endpoint accepts only {string.Join(" or ", allowed)}.", correlationId),
        allow: string.Join(", ", allowed));

    /// <summary>
    /// 500 for an exception no function handled. The description is fixed: an exception's text may
    /// carry anything, so it goes to the log under the same correlation id and never to the caller.
    /// </summary>
    public static OAuthJsonResult Unexpected(string correlationId) => new(
        StatusCodes.Status500InternalServerError,
        json => WriteError(json, "temporarily_unavailable", UnexpectedDescription, correlationId));

    private const string UnexpectedDescription =
        "The broker failed unexpectedly. Retry later; if it persists, give the operator this correlation_id.";

    private static void WriteError(Utf8JsonWriter json, string error, string description, string correlationId)
    {
        json.WriteString("error", error);
        json.WriteString("error_description", description);
        json.WriteString("correlation_id", correlationId);
    }

    public static int StatusOf(TokenErrorKind kind) => kind switch
    {
        TokenErrorKind.InvalidRequest or TokenErrorKind.Rejected => StatusCodes.Status400BadRequest,
        TokenErrorKind.RequestTooLarge => StatusCodes.Status413PayloadTooLarge,
        TokenErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        TokenErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        TokenErrorKind.UnknownClient => StatusCodes.Status404NotFound,
        TokenErrorKind.Throttled => StatusCodes.Status429TooManyRequests,
        TokenErrorKind.UpstreamFailure => StatusCodes.Status502BadGateway,
        TokenErrorKind.DependencyUnavailable => StatusCodes.Status503ServiceUnavailable,
        TokenErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = _status;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers[HeaderNames.CacheControl] = "no-store";
        response.Headers[HeaderNames.Pragma] = "no-cache";
        if (_retryAfter is { } retryAfter)
        {
            response.Headers[HeaderNames.RetryAfter] =
                Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (_allow is not null)
        {
            response.Headers[HeaderNames.Allow] = _allow;
        }

        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        _write(json);
        json.WriteEndObject();
        await json.FlushAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
