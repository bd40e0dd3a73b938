using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Callers;

/// <summary>
/// Rejects at start-up every managed-identity caller that could only fail later, naming the setting
/// as an operator writes it (<c>Clients__{name}__ManagedIdentityCallers__{i}__...</c>).
/// </summary>
public sealed class ManagedIdentityOptionsValidator(IConfiguration configuration) : IValidateOptions<ManagedIdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, ManagedIdentityOptions options)
    {
        var failures = new List<string>();
        foreach (var (client, settings) in options.Clients)
        {
            if (settings.ManagedIdentityCallers.Count > 0)
            {
                ValidateClient(client, settings.ManagedIdentityCallers, failures);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateClient(string client, List<ManagedIdentityCallerOptions> callers, List<string> failures)
    {
        var prefix = $"Clients__{client}__ManagedIdentityCallers__";

        // The protocol asks for a resource and gets its .default scope: that is Entra's convention, which
        // a generic OpenID Connect provider does not share.
        if (!string.IsNullOrWhiteSpace(configuration[$"Clients:{client}:OidcAuthority"]))
        {
            failures.Add($"{prefix}: the managed-identity protocol asks for Entra resources; Clients__{client}__OidcAuthority cannot serve it.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < callers.Count; i++)
        {
            var caller = callers[i];
            if (string.IsNullOrWhiteSpace(caller.Name))
            {
                failures.Add($"{prefix}{i}__Name is required (what logs call this caller).");
            }
            else if (!names.Add(caller.Name))
            {
                failures.Add($"{prefix}{i}__Name: '{caller.Name}' names another caller of client '{client}' too.");
            }

            if (!IsSha256Hex(caller.SecretSha256))
            {
                failures.Add($"{prefix}{i}__SecretSha256 must be the lowercase hex SHA-256 of the caller's secret (64 characters 0-9a-f), never the secret itself.");
            }
            else if (!hashes.Add(caller.SecretSha256))
            {
                failures.Add($"{prefix}{i}__SecretSha256 is another caller's too: give each caller a secret of its own.");
            }

            if (caller.Resources.Count == 0)
            {
                failures.Add($"{prefix}{i}__Resources needs at least one resource the caller may ask for.");
            }

            for (var j = 0; j < caller.Resources.Count; j++)
            {
                if (ManagedIdentityResource.Problem(caller.Resources[j]) is { } problem)
                {
                    failures.Add($"{prefix}{i}__Resources__{j}: {problem}");
                }
            }
        }
    }

    private static bool IsSha256Hex(string value) =>
        value is { Length: 64 } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
