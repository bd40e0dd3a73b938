namespace TokenFunctions.Credentials;

/// <summary>
/// <c>Clients__{name}__ManagedIdentityAssertion__...</c>: the app's managed identity as a federated
/// identity credential of the app registration. The broker holds no secret and no private key for the
/// client: a token of the identity for the token exchange audience is the client assertion.
/// </summary>
public sealed class ManagedIdentityAssertionOptions
{
    /// <summary>The token exchange audience of the public cloud.</summary>
    public const string PublicCloudAudience = "api://AzureADTokenExchange";

    public const string USGovernmentAudience = "api://AzureADTokenExchangeUSGov";

    public const string ChinaAudience = "api://AzureADTokenExchangeChina";

    public bool Enabled { get; set; }

    /// <summary>Client id of a user-assigned identity; empty: the app's own (<c>ManagedIdentity__ClientId</c> or <c>AZURE_CLIENT_ID</c>, else system-assigned).</summary>
    public string? ClientId { get; set; }

    /// <summary>The audience of the federated credential as registered, without <c>/.default</c>; empty: the token exchange audience of the authority's cloud.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// <see cref="Audience"/>, or the one Entra documents for the cloud of <paramref name="authority"/>:
    /// a federated credential created there without naming an audience has that one.
    /// </summary>
    public string AudienceFor(string? authority)
    {
        if (!string.IsNullOrWhiteSpace(Audience))
        {
            return Audience;
        }

        var host = Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? uri.Host.ToLowerInvariant() : "";
        return host switch
        {
            "login.microsoftonline.us" => USGovernmentAudience,
            "login.chinacloudapi.cn" or "login.partner.microsoftonline.cn" => ChinaAudience,
            _ => PublicCloudAudience,
        };
    }

    /// <summary>
    /// What is wrong with these settings, each naming the setting under <paramref name="prefix"/>
    /// (<c>Clients__{name}__</c>), given what else the client has configured.
    /// </summary>
    public IEnumerable<string> Problems(string prefix, bool hasOidcAuthority, bool hasClientClaims)
    {
        var section = $"{prefix}ManagedIdentityAssertion__";
        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(ClientId) || !string.IsNullOrWhiteSpace(Audience))
            {
                yield return $"{section}ClientId and {section}Audience apply only with {section}Enabled=true.";
            }

            yield break;
        }

        if (!string.IsNullOrWhiteSpace(ClientId) && !Guid.TryParse(ClientId, out _))
        {
            yield return $"{section}ClientId must be the client id (a GUID) of a user-assigned identity assigned to the app, or empty for the app's own identity.";
        }

        if (Audience is { } audience && (audience.EndsWith("/.default", StringComparison.OrdinalIgnoreCase) || audience.Any(char.IsWhiteSpace)))
        {
            yield return $"{section}Audience is the federated credential's audience as registered, such as {PublicCloudAudience}, without /.default.";
        }

        if (hasOidcAuthority)
        {
            yield return $"{section}Enabled needs {prefix}Authority (Entra): only Entra accepts a managed identity's token as a federated credential.";
        }

        if (hasClientClaims)
        {
            yield return $"{prefix}ClientClaims cannot be used with {section}Enabled: the assertion is the identity's token, issued and signed by Entra, with no room for claims of the broker's.";
        }
    }
}
