using Microsoft.Extensions.Options;

namespace TokenFunctions.Tokens;

/// <summary>
/// Rejects at start-up every client configuration that could only fail later, naming the
/// setting as an operator would write it (<c>Clients__{name}__...</c>).
/// </summary>
internal sealed class TokenCoreOptionsValidator : IValidateOptions<TokenCoreOptions>
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

        var hasCertificate = !string.IsNullOrWhiteSpace(settings.Certificate?.Path);
        var hasSecret = !string.IsNullOrWhiteSpace(settings.ClientSecret);
        if (hasCertificate == hasSecret)
        {
            failures.Add($"{prefix}: configure exactly one credential: {prefix}Certificate__Path or {prefix}ClientSecret.");
        }

        if (settings.AllowBroker is not null)
        {
            failures.Add($"{prefix}AllowBroker is not supported: brokers serve public client applications only; remove the setting.");
        }
    }

    private static bool IsHttpsUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;
}
