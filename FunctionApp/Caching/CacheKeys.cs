using System.Security.Cryptography;
using System.Text;

namespace TokenFunctions.Caching;

/// <summary>
/// Table keys are hashes: short, stable, free of the characters Tables reject (<c>/ \ # ?</c>),
/// and they say nothing about the client, tenant or resource they stand for.
/// </summary>
public static class CacheKeys
{
    /// <summary>The Table partition that holds every app-token entry of one client.</summary>
    public static string AppTokenPartition(string clientName, string clientId, string tenant) =>
        Hash("app-", clientName, clientId, tenant);

    /// <summary>The Table partition of one user assertion's on-behalf-of tokens (spread, so no client's users share one).</summary>
    public static string OnBehalfOfPartition(string clientName, string clientId, string tenant, string assertionHash) =>
        Hash("obo-", clientName, clientId, tenant, assertionHash);

    /// <summary>The single row of an on-behalf-of partition.</summary>
    public const string OnBehalfOfRow = "tokens";

    /// <summary>The row of one resource's app tokens inside the client's partition.</summary>
    public static string ResourceRow(string resource) => Hash("", resource);

    /// <summary>
    /// The row of one exact, case-sensitive scope set's tokens inside the client's partition (a generic
    /// OpenID Connect provider's scopes), or inside a user assertion's partition.
    /// </summary>
    public static string ScopeSetRow(string exactScopes) => Digest("scopes-", exactScopes);

    /// <summary>
    /// The row of the throttle record of the tokens in <paramref name="tokenRow"/>: beside them, in the
    /// same partition, so that it is read in the same query as they are and removed with them.
    /// </summary>
    public static string ThrottleRow(string tokenRow) => "throttle-" + tokenRow;

    /// <summary>
    /// The row of a client's removal generation, in its app-token partition (see
    /// <see cref="ClientRemovals"/>): read in the same query as any token row, never removed.
    /// </summary>
    public const string RemovalRow = "removal";

    private const int DigestChars = 32;
    private const int OnStack = 256;

    // The parts joined by line feeds, lower-case so that "API://X" and "api://x" share an entry, as
    // Entra treats them alike. Composed on the stack: a new instance computes a partition and a row
    // before its first token, and every on-behalf-of request a partition.
    private static string Hash(string prefix, params ReadOnlySpan<string> parts)
    {
        var length = parts.Length - 1;
        foreach (var part in parts)
        {
            length += part.Length;
        }

        var text = length <= OnStack ? stackalloc char[OnStack] : new char[length];
        var written = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                text[written++] = '\n';
            }

            written += parts[i].AsSpan().ToLowerInvariant(text[written..]);
        }

        return Digest(prefix, text[..length]);
    }

    // The prefix and the first 16 bytes of the SHA-256 of the text's UTF-8, in lower-case hex.
    private static string Digest(string prefix, ReadOnlySpan<char> text)
    {
        // The exact count: keys are ASCII but for odd client names, and the maximum (three bytes a
        // character) would send every on-behalf-of partition to the heap.
        var size = Encoding.UTF8.GetByteCount(text);
        var utf8 = size <= OnStack ? stackalloc byte[OnStack] : new byte[size];
        var length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);

        Span<char> key = stackalloc char[prefix.Length + DigestChars];
        prefix.CopyTo(key);
        Convert.TryToHexStringLower(digest[..(DigestChars / 2)], key[prefix.Length..], out _);
        return new string(key);
    }
}
