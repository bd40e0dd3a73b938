using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// How one client compares scopes. Entra reads scopes case-insensitively and issues one token per
/// resource, so its requests are grouped by resource. A generic OpenID Connect provider follows
/// RFC 6749: scopes are case-sensitive, and a token is for exactly the scopes asked — so its requests
/// are grouped by their exact scope set, and MSAL (which serves a cached token whose scopes are a
/// superset of those asked) never sees another set's tokens. Scopes are ASCII
/// (<see cref="ScopeSet.IsValid"/>), so folding their case is exact.
/// </summary>
public sealed class ScopeRules
{
    public static readonly ScopeRules Entra = new(StringComparer.OrdinalIgnoreCase, byResource: true);

    public static readonly ScopeRules Exact = new(StringComparer.Ordinal, byResource: false);

    private readonly bool _byResource;

    private ScopeRules(StringComparer comparer, bool byResource)
    {
        Comparer = comparer;
        _byResource = byResource;
    }

    public StringComparer Comparer { get; }

    public static ScopeRules For(ConfidentialClientOptions options) =>
        string.IsNullOrWhiteSpace(options.OidcAuthority) ? Entra : Exact;

    /// <summary>
    /// A key for a scope list, equal under <see cref="Comparer"/> for lists that mean the same: one
    /// scope (the common case) is its own key, with no allocation; more are de-duplicated and sorted.
    /// </summary>
    public string Key(IReadOnlyList<string> scopes)
    {
        if (scopes.Count == 1)
        {
            return scopes[0];
        }

        var distinct = scopes.Select(s => _byResource ? s.ToLowerInvariant() : s).Distinct(StringComparer.Ordinal);
        return string.Join(' ', distinct.Order(StringComparer.Ordinal));
    }

    /// <summary>The key in a form that compares ordinally (lower case where case does not count).</summary>
    public string OrdinalKey(IReadOnlyList<string> scopes) => _byResource ? Key(scopes).ToLowerInvariant() : Key(scopes);

    /// <summary>What one MSAL application, and so one Table row, serves: a resource for Entra, an exact scope set otherwise.</summary>
    public string PartitionOf(IReadOnlyList<string> scopes) => _byResource ? ScopeSet.Resource(scopes[0]) : Key(scopes);

    /// <summary>The Table row of the application that serves <paramref name="partition"/> (see <see cref="PartitionOf"/>).</summary>
    public string RowOf(string partition) => _byResource ? CacheKeys.ResourceRow(partition) : CacheKeys.ScopeSetRow(partition);

    /// <summary>
    /// The row of on-behalf-of tokens inside a user assertion's partition: one for all of Entra's, one
    /// per exact scope set otherwise.
    /// </summary>
    public string OnBehalfOfRow(IReadOnlyList<string> scopes) => _byResource ? CacheKeys.OnBehalfOfRow : CacheKeys.ScopeSetRow(Key(scopes));
}
