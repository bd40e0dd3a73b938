namespace TokenFunctions.Tokens;

/// <summary>What one scope is: valid or not, and which resource it belongs to (<see cref="ScopeRules"/> compares lists).</summary>
public static class ScopeSet
{
    /// <summary>
    /// A scope-token as RFC 6749 §3.3 defines it: printable ASCII except space, <c>"</c> and <c>\</c>.
    /// Anything else is refused before it reaches a cache key, where Unicode case rules could merge two
    /// distinct scopes (the Kelvin sign lower-cases to an ASCII k).
    /// </summary>
    public static bool IsValid(string scope) =>
        scope.Length > 0 && scope.All(c => c is >= '!' and <= '~' and not '"' and not '\\');

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
