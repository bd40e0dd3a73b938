using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using TokenFunctions.Credentials;

namespace TokenFunctions.Caching;

/// <summary>
/// A cache of access tokens must not be readable by whoever can read the storage account: outside
/// Development the encryption key is required, and every key must be 32 bytes of base64.
/// </summary>
public sealed class TokenCacheOptionsValidator(IConfiguration configuration) : IValidateOptions<TokenCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenCacheOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.EncryptionKey))
        {
            if (!HostingEnvironment.IsDevelopment(configuration))
            {
                failures.Add("TokenCache__EncryptionKey is required outside Development: the base64 of 32 random bytes (for example: openssl rand -base64 32), kept in Key Vault.");
            }
        }
        else if (options.EncryptionKey.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            // App Service leaves a Key Vault reference it cannot resolve as it is: say so, not "bad base64".
            failures.Add("TokenCache__EncryptionKey is a Key Vault reference that did not resolve: create the secret it names (the base64 of 32 random bytes) and let the app's identity read it (Key Vault Secrets User); see docs/deploy.md.");
        }
        else if (!CacheEntryCipher.IsValidKey(options.EncryptionKey))
        {
            failures.Add("TokenCache__EncryptionKey must be the base64 of exactly 32 bytes.");
        }

        for (var i = 0; i < options.PreviousEncryptionKeys.Count; i++)
        {
            if (!CacheEntryCipher.IsValidKey(options.PreviousEncryptionKeys[i]))
            {
                failures.Add($"TokenCache__PreviousEncryptionKeys__{i} must be the base64 of exactly 32 bytes.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
