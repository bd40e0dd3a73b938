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
        "app-" + Hash(clientName, clientId, tenant);

    /// <summary>The Table partition of one user assertion's on-behalf-of tokens (spread, so no client's users share one).</summary>
    public static string OnBehalfOfPartition(string clientName, string clientId, string tenant, string assertionHash) =>
        "obo-" + Hash(clientName, clientId, tenant, assertionHash);

    /// <summary>The single row of an on-behalf-of partition.</summary>
    public const string OnBehalfOfRow = "tokens";

    /// <summary>The row of one resource's app tokens inside the client's partition.</summary>
    public static string ResourceRow(string resource) => Hash(resource);

    /// <summary>
    /// The row of one exact, case-sensitive scope set's tokens inside the client's partition (a generic
    /// OpenID Connect provider's scopes), or inside a user assertion's partition.
    /// </summary>
    public static string ScopeSetRow(string exactScopes) => "scopes-" + Digest(exactScopes);

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

    // Lower-case so that "API://X" and "api://x" share an entry, as Entra treats them alike.
    private static string Hash(params string[] parts) => Digest(string.Join('\n', parts).ToLowerInvariant());

    private static string Digest(string text)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }
}
