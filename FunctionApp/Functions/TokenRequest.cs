using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// The body of a token request, parsed strictly: anything a caller can get wrong comes back as a
/// <see cref="TokenError"/> that names the field, never as an exception.
/// </summary>
public sealed record TokenRequest(IReadOnlyList<string> Scopes, string? ClaimsChallenge, string? UserAssertion)
{
    // The assertion is a user's credential: keep it out of every ToString and debugger view.
    public override string ToString() => $"TokenRequest {{ Scopes = {string.Join(' ', Scopes)}, ClaimsChallenge = {ClaimsChallenge is not null} }}";

    /// <summary>A request that asks for nothing (removal carries no body).</summary>
    public static readonly TokenRequest None = new([], null, null);

    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxScopes = 20;
    public const int MaxScopeLength = 512;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>The parsed request, or the error to answer with.</summary>
    public readonly record struct Parsed(TokenRequest? Request, TokenError? Error);

    /// <summary>Parses a token request; with <paramref name="onBehalfOf"/>, <c>user_assertion</c> is required.</summary>
    public static async Task<Parsed> ParseAsync(HttpRequest request, CancellationToken cancellationToken, bool onBehalfOf = false)
    {
        var body = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new(null, new TokenError(TokenErrorKind.RequestTooLarge, "invalid_request", $"The request body exceeds {MaxBodyBytes} bytes."));
        }

        if (body.Length == 0)
        {
            return Invalid("The request body is empty; send a JSON object with \"scopes\".");
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return Invalid("The request body is not valid UTF-8 JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            return Invalid("The request body is not valid JSON.");
        }

        using (document)
        {
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return Invalid("The request body must be a JSON object.");
                }

                var scopes = ParseScopes(root, out var scopesError);
                if (scopesError is not null)
                {
                    return Invalid(scopesError);
                }

                var claims = ParseClaimsChallenge(root, out var claimsError);
                if (claimsError is not null)
                {
                    return Invalid(claimsError);
                }

                string? assertion = null;
                if (onBehalfOf && (assertion = ParseUserAssertion(root, out var assertionError)) is null)
                {
                    return Invalid(assertionError!);
                }

                return new(new TokenRequest(scopes!, claims, assertion), null);
            }
            catch (InvalidOperationException)
            {
                // A string escape JSON allows but UTF-16 cannot hold (a lone surrogate such as \ud800).
                return Invalid("A string in the request body is not valid Unicode (an unpaired surrogate escape).");
            }
        }
    }

    private static Parsed Invalid(string description) => new(null, TokenError.InvalidRequest(description));

    private static List<string>? ParseScopes(JsonElement root, out string? error)
    {
        error = null;
        if (!root.TryGetProperty("scopes", out var scopes) || scopes.ValueKind == JsonValueKind.Null)
        {
            error = "\"scopes\" is required: a non-empty array of scope strings.";
            return null;
        }

        if (scopes.ValueKind != JsonValueKind.Array)
        {
            error = "\"scopes\" must be an array of scope strings.";
            return null;
        }

        var count = scopes.GetArrayLength();
        if (count is 0 or > MaxScopes)
        {
            error = $"\"scopes\" must hold 1 to {MaxScopes} scopes.";
            return null;
        }

        var result = new List<string>(count);
        foreach (var scope in scopes.EnumerateArray())
        {
            if (scope.ValueKind != JsonValueKind.String)
            {
                error = "\"scopes\" must contain only strings.";
                return null;
            }

            var value = scope.GetString()!;
            if (value.Length > MaxScopeLength || !ScopeSet.IsValid(value))
            {
                error = $"Each scope in \"scopes\" must be 1 to {MaxScopeLength} characters without whitespace, control characters, '\"', '\\' or anything outside printable ASCII (RFC 6749, section 3.3).";
                return null;
            }

            result.Add(value);
        }

        return result;
    }

    private static string? ParseUserAssertion(JsonElement root, out string? error)
    {
        error = null;
        if (!root.TryGetProperty("user_assertion", out var assertion) || assertion.ValueKind != JsonValueKind.String)
        {
            error = "\"user_assertion\" is required: the user's access token (a JWT) that the middle-tier API received.";
            return null;
        }

        var value = assertion.GetString()!;
        if (!Tokens.UserAssertionJwt.IsWellFormed(value))
        {
            error = $"\"user_assertion\" must be a JWT (three base64url segments) of at most {Tokens.UserAssertionJwt.MaxLength} characters.";
            return null;
        }

        return value;
    }

    private static string? ParseClaimsChallenge(JsonElement root, out string? error)
    {
        error = null;
        if (!root.TryGetProperty("claims_challenge", out var claims) || claims.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (claims.ValueKind != JsonValueKind.String)
        {
            error = "\"claims_challenge\" must be a string holding a JSON object, or null.";
            return null;
        }

        var value = claims.GetString()!;
        try
        {
            using var challenge = JsonDocument.Parse(value, DocumentOptions);
            if (challenge.RootElement.ValueKind == JsonValueKind.Object)
            {
                return value;
            }
        }
        catch (JsonException)
        {
            // Falls through to the error below.
        }

        error = "\"claims_challenge\" must be a string holding a JSON object, or null.";
        return null;
    }
}
