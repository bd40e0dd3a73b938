using Microsoft.Extensions.Options;

namespace TokenFunctions.Tokens;

/// <summary>
/// Rejects at start-up every client configuration that could only fail later, naming the
/// setting as an operator would write it (<c>Clients__{name}__...</c>).
/// </summary>
public sealed class TokenCoreOptionsValidator : IValidateOptions<TokenCoreOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenCoreOptions options)
    {
        var failures = new List<string>();
        foreach (var (client, settings) in options.Clients)
        {
            ValidateClient(client, settings, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateClient(string client, ConfidentialClientOptions settings, List<string> failures)
    {
        var prefix = $"Clients__{client}__";
        if (!ClientName.IsValid(client))
        {
            failures.Add($"Client name '{client}' must be 1-64 letters, digits, '-' or '_' (it is used in URLs).");
        }

        if (string.IsNullOrWhiteSpace(settings.ClientId))
        {
            failures.Add($"{prefix}ClientId is required.");
        }

        var hasAuthority = !string.IsNullOrWhiteSpace(settings.Authority);
        var hasOidcAuthority = !string.IsNullOrWhiteSpace(settings.OidcAuthority);
        if (hasAuthority == hasOidcAuthority)
        {
            failures.Add($"{prefix}Authority or {prefix}OidcAuthority is required, and not both.");
        }
        else if (hasAuthority && !IsHttpsUri(settings.Authority!))
        {
            failures.Add($"{prefix}Authority must be an absolute https URL such as https://login.microsoftonline.com/{{tenant}}.");
        }
        else if (hasOidcAuthority && !IsHttpsUri(settings.OidcAuthority!))
        {
            failures.Add($"{prefix}OidcAuthority must be an absolute https URL of the issuer.");
        }

        var hasVaultCertificate = !string.IsNullOrWhiteSpace(settings.Certificate?.KeyVaultUri) || !string.IsNullOrWhiteSpace(settings.Certificate?.Name);
        var hasFileCertificate = !string.IsNullOrWhiteSpace(settings.Certificate?.Path);
        var hasSecret = !string.IsNullOrWhiteSpace(settings.ClientSecret);
        var hasIdentityAssertion = settings.ManagedIdentityAssertion?.Enabled == true;
        if ((hasVaultCertificate ? 1 : 0) + (hasFileCertificate ? 1 : 0) + (hasSecret ? 1 : 0) + (hasIdentityAssertion ? 1 : 0) != 1)
        {
            failures.Add($"{prefix}: configure exactly one credential: {prefix}Certificate__KeyVaultUri with {prefix}Certificate__Name, {prefix}Certificate__Path, {prefix}ClientSecret, or {prefix}ManagedIdentityAssertion__Enabled=true.");
        }
        else if (hasVaultCertificate)
        {
            if (!IsHttpsUri(settings.Certificate?.KeyVaultUri ?? ""))
            {
                failures.Add($"{prefix}Certificate__KeyVaultUri must be the vault's https URL, such as https://my-vault.vault.azure.net/.");
            }

            if (string.IsNullOrWhiteSpace(settings.Certificate?.Name))
            {
                failures.Add($"{prefix}Certificate__Name is required with {prefix}Certificate__KeyVaultUri.");
            }
        }

        if (settings.Certificate?.SignInKeyVault == true && (!hasVaultCertificate || hasFileCertificate || !string.IsNullOrEmpty(settings.Certificate.Password)))
        {
            failures.Add($"{prefix}Certificate__SignInKeyVault signs with a key in Key Vault: it needs {prefix}Certificate__KeyVaultUri and {prefix}Certificate__Name, and no {prefix}Certificate__Path or {prefix}Certificate__Password.");
        }

        if (settings.ClientClaims.Count > 0 && (hasSecret || hasOidcAuthority))
        {
            failures.Add($"{prefix}ClientClaims need a certificate credential with an Entra Authority: with a client secret or an OidcAuthority MSAL signs no assertion to put them in.");
        }

        failures.AddRange(settings.ManagedIdentityAssertion?.Problems(prefix, hasOidcAuthority, settings.ClientClaims.Count > 0) ?? []);

        foreach (var claim in settings.ClientClaims.Keys.Where(c => ReservedAssertionClaims.Contains(c)))
        {
            failures.Add($"{prefix}ClientClaims__{claim}: '{claim}' is set by MSAL in every client assertion and cannot be overridden.");
        }

        if (!string.IsNullOrWhiteSpace(settings.AzureRegion) &&
            !settings.AzureRegion.Equals(Authorities.AzureRegionName.AutoDetect, StringComparison.OrdinalIgnoreCase) &&
            Authorities.AzureRegionName.Normalize(settings.AzureRegion) is null)
        {
            failures.Add($"{prefix}AzureRegion must be empty (global), a region name such as eastus2, or TryAutoDetect.");
        }

        if (!string.IsNullOrWhiteSpace(settings.AzureRegion) && hasOidcAuthority)
        {
            failures.Add($"{prefix}AzureRegion applies to Entra authorities only; remove it for an OidcAuthority.");
        }

        foreach (var scope in settings.ExcludeScopes.Where(s => !ReservedScopes.Contains(s)))
        {
            failures.Add($"{prefix}ExcludeScopes: '{scope}' cannot be excluded; only the scopes MSAL adds by itself (openid, profile, offline_access) can.");
        }

        for (var i = 0; i < settings.AllowedCallers.Count; i++)
        {
            var caller = settings.AllowedCallers[i];
            if (string.IsNullOrWhiteSpace(caller.Id))
            {
                failures.Add($"{prefix}AllowedCallers__{i}__Id is required (the caller's application id or object id).");
            }

            if (caller.Scopes.Count == 0)
            {
                failures.Add($"{prefix}AllowedCallers__{i}__Scopes needs at least one scope the caller may ask for.");
            }

            foreach (var scope in caller.Scopes.Where(s => s is null || !ScopeSet.IsValid(s)))
            {
                failures.Add($"{prefix}AllowedCallers__{i}__Scopes: '{scope}' is not a scope (printable ASCII other than space, '\"' and '\\', as RFC 6749 defines it).");
            }
        }

        if (settings.AllowBroker is not null)
        {
            failures.Add($"{prefix}AllowBroker is not supported: brokers serve public client applications only; remove the setting.");
        }
    }

    private static readonly HashSet<string> ReservedScopes = new(StringComparer.OrdinalIgnoreCase) { "openid", "profile", "offline_access" };

    private static readonly HashSet<string> ReservedAssertionClaims = new(StringComparer.Ordinal) { "aud", "iss", "sub", "jti", "nbf", "exp", "iat" };

    private static bool IsHttpsUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;
}
