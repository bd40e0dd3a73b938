using TokenFunctions.Tokens;

namespace TokenFunctions.Callers;

/// <summary>A caller the identity header proved, and what it may ask for.</summary>
public sealed record ManagedIdentityCaller(string Client, string Name, IReadOnlySet<string> Resources)
{
    /// <summary>Null when this caller may have <paramref name="resource"/>; otherwise the 403 to answer.</summary>
    public TokenError? Authorize(string resource) => Resources.Contains(resource)
        ? null
        : new TokenError(TokenErrorKind.Forbidden, "access_denied", $"Caller '{Name}' may not ask client '{Client}' for resource '{resource}'.");
}

/// <summary>Either the caller the header proved or the error to answer.</summary>
public readonly record struct ManagedIdentityAuthentication(ManagedIdentityCaller? Caller, TokenError? Error);
