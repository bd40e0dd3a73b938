using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TokenFunctions.Tokens;

/// <summary>
/// What the broker reads of a user's assertion without validating it (Entra does that): its shape,
/// its expiry, and a hash that keys its cache. The assertion itself is a credential: it is never
/// logged, stored or returned.
/// </summary>
public static class UserAssertionJwt
{
    public const int MaxLength = 16 * 1024;

    /// <summary>True for three base64url segments whose first two are JSON objects.</summary>
    public static bool IsWellFormed(string assertion)
    {
        if (assertion.Length is 0 or > MaxLength || assertion.Split('.') is not [var header, var payload, var signature] ||
            signature.Length == 0)
        {
            return false;
        }

        return IsJsonObject(header) && IsJsonObject(payload);
    }

    /// <summary>The <c>exp</c> claim, when the assertion has a numeric one.</summary>
    public static DateTimeOffset? Expiry(string assertion)
    {
        try
        {
            var payload = assertion.Split('.')[1];
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(payload));
            return document.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A short, one-way key for the assertion's cache entries.</summary>
    public static string Hash(string assertion) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(assertion)));

    private static bool IsJsonObject(string segment)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(segment));
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }
}
