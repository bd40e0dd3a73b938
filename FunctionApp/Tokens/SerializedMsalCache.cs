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
            return Find(new Utf8JsonReader(utf8Json), clientId, realm, scopes, scopeComparer);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static AccessToken? Find(Utf8JsonReader reader, string clientId, string realm, IReadOnlyList<string> scopes, StringComparer scopeComparer)
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

                if (ReadEntry(ref reader) is { } entry && entry.Answers(clientId, realm, scopes, scopeComparer))
                {
                    if (found is not null)
                    {
                        return null; // which one MSAL would pick is MSAL's business
                    }

                    found = entry.Token;
                }
            }
        }

        return found;
    }

    /// <summary>One entry of the AccessToken section; null when it holds anything but what a bearer app token holds.</summary>
    private static Entry? ReadEntry(ref Utf8JsonReader reader)
    {
        string? credentialType = null, entryClientId = null, entryRealm = null, target = null, secret = null;
        long? expiresOn = null, refreshOn = null;
        var known = true;
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
                case var n when n.SequenceEqual("credential_type"u8): credentialType = reader.GetString(); break;
                case var n when n.SequenceEqual("client_id"u8): entryClientId = reader.GetString(); break;
                case var n when n.SequenceEqual("realm"u8): entryRealm = reader.GetString(); break;
                case var n when n.SequenceEqual("target"u8): target = reader.GetString(); break;
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

        return known && credentialType == "AccessToken" && secret is { Length: > 0 } && expiresOn is { } expires && target is not null
            ? new Entry(entryClientId, entryRealm ?? "", target, new AccessToken(
                "Bearer", secret, DateTimeOffset.FromUnixTimeSeconds(expires), refreshOn is { } refresh ? DateTimeOffset.FromUnixTimeSeconds(refresh) : null, TokenSource.Cache))
            : null;
    }

    // MSAL writes times as epoch seconds in strings.
    private static long? Seconds(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out long seconds, out var used) && used == reader.ValueSpan.Length &&
        seconds is > 0 and < 253_402_300_800 // DateTimeOffset's range
            ? seconds
            : null;

    private sealed record Entry(string? ClientId, string Realm, string Target, AccessToken Token)
    {
        public bool Answers(string clientId, string realm, IReadOnlyList<string> scopes, StringComparer scopeComparer)
        {
            if (!string.Equals(ClientId, clientId, StringComparison.OrdinalIgnoreCase) || !string.Equals(Realm, realm, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var granted = Target.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var scope in scopes)
            {
                if (!granted.Contains(scope, scopeComparer))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
