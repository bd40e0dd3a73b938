using Microsoft.Extensions.Logging;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>
/// One configured app registration as every part of its client sees it: its name (the
/// <c>{client}</c> of the routes), its settings, where its certificate comes from (null for a client
/// secret or an assertion source), the logger its lines go to, and where its client assertions come
/// from when no private key is held in the worker (Key Vault signing, a managed identity).
/// </summary>
public sealed record ClientRegistration(
    string Name, ConfidentialClientOptions Options, ICertificateSource? Certificates, ILogger Logger, IClientAssertionSource? Assertions = null)
{
    /// <summary>The tenant segment of the authority, which keys the cache together with the client.</summary>
    public string Tenant { get; } = AuthorityTenant.Of(Options.Authority ?? Options.OidcAuthority!);

    /// <summary>The Table partition of the client's app tokens.</summary>
    public string AppTokenPartition => CacheKeys.AppTokenPartition(Name, Options.ClientId, Tenant);

    /// <summary>How this client's provider compares scopes (Entra's rules, or exact for an OIDC authority).</summary>
    public ScopeRules Scopes { get; } = ScopeRules.For(Options);
}
