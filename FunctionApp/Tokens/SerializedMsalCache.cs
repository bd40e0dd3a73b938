using System.Buffers.Text;
using System.Text.Json;

namespace TokenFunctions.Tokens;

/// <summary>
/// Finds a client's app token in MSAL's serialized cache (the V3 JSON every MSAL writes, the cross-SDK
/// unified schema) without MSAL. MSAL has no API to look into a serialized cache without first building
/// an application to load it into, and building one is most of what a new instance's first request
/// would cost (in a new process, MSAL's code is much of what is loaded and compiled). The core already
/// serves MSAL's tokens from its front cache by MSAL's own rule (<see cref="TokenFreshness"/>), so it can
/// serve one it reads here by the same rule. It reads only what decides whether a token answers a
/// client-credentials request; anything it does not recognise makes it step aside (null), and MSAL,
/// given the same bytes, decides as it always has. Tokens are credentials: nothing here is logged.
/// </summary>
public static class SerializedMsalCache
{
    // Client ids, tenants and scope lists are short: compared on the stack.
    private const int OnStack = 256;

    /// <summary>
    /// The one bearer access token in <paramref name="utf8Json"/> of client <paramref name="clientId"/> in
    /// tenant <paramref name="realm"/> (empty for an authority that has none, as MSAL writes a generic
    /// OpenID Connect provider's) whose scopes include every one of <paramref name="scopes"/> under
    /// <paramref name="scopeComparer"/>, whatever its freshness; null when there is none, more than one,
    /// or anything in the way is not as MSAL writes it.
    /// </summary>
    public static AccessToken? FindAppToken(
        ReadOnlySpan<byte> utf8Json, string clientId, string realm, IReadOnlyList<string> scopes, StringComparer scopeComparer)
    {
        try
        {
            return Find(new Utf8JsonReader(utf8Json), new Wanted(clientId, realm, scopes, scopeComparer));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static AccessToken? Find(Utf8JsonReader reader, in Wanted wanted)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        AccessToken? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isAccessTokens = reader.ValueTextEquals("AccessToken"u8);
            reader.Read();
            if (!isAccessTokens)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return null;
                }

                if (ReadEntry(ref reader, wanted) is { } token)
                {
                    if (found is not null)
                    {
                        return null; // which one MSAL would pick is MSAL's business
                    }

                    found = token;
                }
            }
        }

        return found;
    }

    /// <summary>
    /// One entry of the AccessToken section: its token when it is a bearer app token that answers
    /// <paramref name="wanted"/>; null when it does not, or holds anything but what such a token holds.
    /// Only the secret becomes a string: the rest is compared where it lies in the JSON.
    /// </summary>
    private static AccessToken? ReadEntry(ref Utf8JsonReader reader, in Wanted wanted)
    {
        string? secret = null;
        long? expiresOn = null, refreshOn = null;
        bool known = true, accessToken = false, client = false, target = false;
        var realm = wanted.Realm.Length == 0; // an entry without a realm is in no tenant
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            reader.Read();
            if (escaped || reader.TokenType != JsonTokenType.String)
            {
                known = false;
                reader.Skip();
                continue;
            }

            switch (name)
            {
                case var n when n.SequenceEqual("credential_type"u8): accessToken = reader.ValueTextEquals("AccessToken"u8); break;
                case var n when n.SequenceEqual("client_id"u8): client = TextEquals(ref reader, wanted.ClientId); break;
                case var n when n.SequenceEqual("realm"u8): realm = TextEquals(ref reader, wanted.Realm); break;
                case var n when n.SequenceEqual("target"u8): target = Grants(ref reader, wanted); break;
                case var n when n.SequenceEqual("secret"u8): secret = reader.GetString(); break;
                case var n when n.SequenceEqual("expires_on"u8): expiresOn = Seconds(ref reader); known &= expiresOn is not null; break;
                case var n when n.SequenceEqual("refresh_on"u8): refreshOn = Seconds(ref reader); known &= refreshOn is not null; break;
                case var n when n.SequenceEqual("token_type"u8): known &= reader.ValueTextEquals("Bearer"u8); break;
                case var n when n.SequenceEqual("environment"u8) || n.SequenceEqual("cached_at"u8) ||
                                n.SequenceEqual("extended_expires_on"u8) || n.SequenceEqual("ext_expires_on"u8):
                    break;

                // key_id (a proof-of-possession token), a user's home_account_id or assertion hash, or
                // anything a later MSAL adds to what decides a match: MSAL's to judge, not the core's.
                default: known = false; break;
            }
        }

        return known && accessToken && client && realm && target && secret is { Length: > 0 } && expiresOn is { } expires
            ? new AccessToken("Bearer", secret, DateTimeOffset.FromUnixTimeSeconds(expires), refreshOn is { } refresh ? DateTimeOffset.FromUnixTimeSeconds(refresh) : null, TokenSource.Cache)
            : null;
    }

    /// <summary>The string value under the reader equals <paramref name="expected"/>, case aside (client ids, tenants).</summary>
    private static bool TextEquals(ref Utf8JsonReader reader, string expected)
    {
        // A value's UTF-8 (escaped or not) is never shorter than its UTF-16.
        Span<char> text = reader.ValueSpan.Length <= OnStack ? stackalloc char[OnStack] : new char[reader.ValueSpan.Length];
        return text[..reader.CopyString(text)].Equals(expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every scope wanted is among the entry's space-separated ones, as the client's comparer compares scopes.</summary>
    private static bool Grants(ref Utf8JsonReader reader, in Wanted wanted)
    {
        Span<char> buffer = reader.ValueSpan.Length <= OnStack ? stackalloc char[OnStack] : new char[reader.ValueSpan.Length];
        ReadOnlySpan<char> target = buffer[..reader.CopyString(buffer)];
        foreach (var scope in wanted.Scopes)
        {
            if (!Contains(target, scope, wanted.ScopeComparer))
            {
                return false;
            }
        }

        return true;

        static bool Contains(ReadOnlySpan<char> target, string scope, StringComparer comparer)
        {
            foreach (var range in target.Split(' '))
            {
                var granted = target[range];
                if (!granted.IsEmpty && (comparer is IAlternateEqualityComparer<ReadOnlySpan<char>, string?> spans
                        ? spans.Equals(granted, scope)
                        : comparer.Equals(granted.ToString(), scope)))
                {
                    return true;
                }
            }

            return false;
        }
    }

    // MSAL writes times as epoch seconds in strings.
    private static long? Seconds(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out long seconds, out var used) && used == reader.ValueSpan.Length &&
        seconds is > 0 and < 253_402_300_800 // DateTimeOffset's range
            ? seconds
            : null;

    /// <summary>What the request is for: the client, its tenant, the scopes, and how the client compares scopes.</summary>
    private readonly record struct Wanted(string ClientId, string Realm, IReadOnlyList<string> Scopes, StringComparer ScopeComparer);
}
