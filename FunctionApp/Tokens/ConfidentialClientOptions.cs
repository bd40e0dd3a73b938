using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>
/// One named app registration, bound from <c>Clients__{name}__...</c>. The property names are the
/// setting names of the contract; see README.md for each one.
/// </summary>
public sealed class ConfidentialClientOptions
{
    public string ClientId { get; set; } = "";

    /// <summary>An Entra authority such as <c>https://login.microsoftonline.com/{tenant}</c>.</summary>
    public string? Authority { get; set; }

    /// <summary>A generic OpenID Connect issuer, used instead of <see cref="Authority"/>.</summary>
    public string? OidcAuthority { get; set; }

    public bool ValidateAuthority { get; set; } = true;

    public bool InstanceDiscovery { get; set; } = true;

    public ClientCertificateOptions? Certificate { get; set; }

    /// <summary>Empty: the global endpoint. A region name (<c>eastus2</c> or <c>East US 2</c>), or <c>TryAutoDetect</c>.</summary>
    public string? AzureRegion { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The app's managed identity as a federated credential of the app registration (<c>ManagedIdentityAssertion__Enabled</c>).</summary>
    public ManagedIdentityAssertionOptions? ManagedIdentityAssertion { get; set; }

    /// <summary>Extra claims signed into the client assertion (<c>ClientClaims__{claim}</c>), merged over MSAL's own.</summary>
    public Dictionary<string, string> ClientClaims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Client capabilities (<c>ClientCapabilities__{i}</c>, e.g. <c>CP1</c>) MSAL merges into every request's claims.</summary>
    public List<string> ClientCapabilities { get; set; } = [];

    /// <summary>Scopes MSAL adds by itself that must not be sent (<c>openid</c>, <c>profile</c>, <c>offline_access</c>).</summary>
    public List<string> ExcludeScopes { get; set; } = [];

    /// <summary>Who may use this client, and for which scopes; empty means any caller holding a function key.</summary>
    public List<AllowedCallerOptions> AllowedCallers { get; set; } = [];

    public string? AppName { get; set; }

    public string? AppVersion { get; set; }

    public bool EnablePiiLog { get; set; }

    /// <summary>
    /// Brokers (WAM) exist only for public clients. The setting is bound so that a configuration
    /// carried over from a public-client app (MSAL Python's <c>allow_broker</c>) fails loudly at start-up instead of being ignored.
    /// </summary>
    public bool? AllowBroker { get; set; }
}

/// <summary><c>Clients__{name}__AllowedCallers__{i}__...</c>: one caller and the scopes it may ask for.</summary>
public sealed class AllowedCallerOptions
{
    /// <summary>The caller's application (client) id (<c>appid</c>/<c>azp</c>), or its object id (<c>oid</c>).</summary>
    public string Id { get; set; } = "";

    public List<string> Scopes { get; set; } = [];
}
