using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using TokenFunctions.Tokens;

namespace TokenFunctions.Callers;

/// <summary>
/// Who may ask a client for which scopes (design §8). A client without <c>AllowedCallers</c> serves
/// any holder of a function key; one with them serves only those callers — matched on the calling
/// application's id, then on its object id — and each only its listed scopes, compared as Entra
/// compares scopes (case-insensitive; a resource's <c>.default</c> is a scope of its own).
/// </summary>
public sealed class CallerPolicy
{
    private readonly bool _platformAuthenticationEnabled;
    private readonly Dictionary<string, List<AllowedCallerOptions>> _allowed;

    public CallerPolicy(IConfiguration configuration, IOptions<TokenCoreOptions> options)
    {
        // App Service sets this when its authentication fronts the app; only then is the header the platform's.
        _platformAuthenticationEnabled = string.Equals(configuration["WEBSITE_AUTH_ENABLED"], "True", StringComparison.OrdinalIgnoreCase);
        _allowed = options.Value.Clients.ToDictionary(c => c.Key, c => c.Value.AllowedCallers, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Null when the caller may have these scopes from this client; otherwise the 401/403 to answer.</summary>
    public TokenError? Authorize(HttpRequest request, string client, IReadOnlyList<string> scopes)
    {
        if (!_allowed.TryGetValue(client, out var allowed) || allowed.Count == 0)
        {
            return null;
        }

        if (CallerPrincipal.From(request, _platformAuthenticationEnabled) is not { } caller)
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

        var refused = scopes.FirstOrDefault(s => !entry.Scopes.Contains(s, StringComparer.OrdinalIgnoreCase));
        return refused is null
            ? null
            : new TokenError(TokenErrorKind.Forbidden, "access_denied", $"This caller may not ask client '{client}' for scope '{refused}'.");
    }
}
