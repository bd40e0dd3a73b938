namespace TokenFunctions.Tokens;

/// <summary>
/// Scope lists as cache keys and partitions. Entra compares scopes case-insensitively and ignores
/// their order, so the key does too.
/// </summary>
public static class ScopeSet
{
    /// <summary>A key for a scope list; one scope (the common case) is its own key, with no allocation.</summary>
    public static string Key(IReadOnlyList<string> scopes)
    {
        if (scopes.Count == 1)
        {
            return scopes[0];
        }

        var sorted = scopes.Select(s => s.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal);
        return string.Join(' ', sorted);
    }

    /// <summary>
    /// The resource a scope belongs to: <c>api://x/.default</c> and <c>api://x/read</c> are both of
    /// <c>api://x</c>. A bare scope such as <c>User.Read</c> is Microsoft Graph's, as Entra reads it.
    /// </summary>
    public static string Resource(string scope)
    {
        var slash = scope.LastIndexOf('/');
        var scheme = scope.IndexOf("://", StringComparison.Ordinal);
        if (slash > 0 && slash != scheme + 2)
        {
            return scope[..slash];
        }

        return scope.Contains(':', StringComparison.Ordinal) ? scope : GraphResource;
    }

    private const string GraphResource = "https://graph.microsoft.com";
}
