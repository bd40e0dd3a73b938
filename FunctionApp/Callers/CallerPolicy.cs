using Microsoft.Extensions.Options;
using TokenFunctions.Tokens;

namespace TokenFunctions.Callers;

/// <summary>
/// Who may ask a client for which scopes. A client without <c>AllowedCallers</c> serves any holder of
/// a function key; one with them serves only those callers — matched on the calling application's id,
/// then on its object id — and each only its listed scopes, compared as the client's provider compares
/// them (<see cref="ScopeRules"/>: case-insensitive for Entra, exact for a generic OpenID Connect
/// provider; a resource's <c>.default</c> is a scope of its own).
/// </summary>
public sealed class CallerPolicy(IOptions<TokenCoreOptions> options)
{
    private readonly Dictionary<string, (List<AllowedCallerOptions> Callers, ScopeRules Scopes)> _allowed =
        options.Value.Clients.ToDictionary(c => c.Key, c => (c.Value.AllowedCallers, ScopeRules.For(c.Value)), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="client"/> serves only its <c>AllowedCallers</c> (so who is calling matters).</summary>
    public bool IsRestricted(string client) => _allowed.TryGetValue(client, out var allowed) && allowed.Callers.Count > 0;

    /// <summary>
    /// Null when <paramref name="caller"/> may have <paramref name="scopes"/> from <paramref name="client"/>;
    /// otherwise the 401 (no known caller) or 403 to answer. <paramref name="caller"/> is null when the
    /// platform did not say who is calling.
    /// </summary>
    public TokenError? Authorize(CallerPrincipal? caller, string client, IReadOnlyList<string> scopes)
    {
        if (!IsRestricted(client))
        {
            return null;
        }

        var (allowed, rules) = _allowed[client];

        if (caller is null)
        {
            return new TokenError(TokenErrorKind.Unauthenticated, "unauthorized_client",
                $"Client '{client}' serves only known callers: call it with an Entra token through the app's authentication.");
        }

        // An application is matched on its app id only when it calls as itself: a user's delegated token
        // obtained through an allowed app must not inherit that app's access.
        var entry = allowed.FirstOrDefault(a => caller.IsApplication && caller.ApplicationId is not null && a.Id.Equals(caller.ApplicationId, StringComparison.OrdinalIgnoreCase))
                    ?? allowed.FirstOrDefault(a => caller.ObjectId is not null && a.Id.Equals(caller.ObjectId, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
        {
            return new TokenError(TokenErrorKind.Forbidden, "access_denied", $"This caller may not use client '{client}'.");
        }

        var refused = scopes.FirstOrDefault(s => !entry.Scopes.Contains(s, rules.Comparer));
        return refused is null
            ? null
            : new TokenError(TokenErrorKind.Forbidden, "access_denied", $"This caller may not ask client '{client}' for scope '{refused}'.");
    }
}
