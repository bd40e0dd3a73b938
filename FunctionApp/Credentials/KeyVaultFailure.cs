using System.Security.Cryptography;
using Azure;
using Azure.Identity;

namespace TokenFunctions.Credentials;

/// <summary>
/// What a failed call to Key Vault for a client's certificate means, as the clear error the caller and
/// health see: which client, which vault, which certificate, and what to do about it.
/// </summary>
internal static class KeyVaultFailure
{
    /// <param name="source">The certificate source's description (names the certificate and the vault).</param>
    /// <param name="cancelledByCaller">The caller gave up: its cancellation is not the vault's failure.</param>
    /// <param name="role">The role the operation needs (reading a certificate; signing with its key: Key Vault Crypto User).</param>
    /// <returns>Null for an exception that is not a vault or certificate failure.</returns>
    public static ClientCredentialUnavailableException? Explain(
        Exception exception, string client, string source, string vaultHost, string? version, bool cancelledByCaller, string role = "Key Vault Certificate User") => exception switch
    {
        ClientCredentialUnavailableException known => known,
        RequestFailedException { Status: 401 or 403 } refused => new("access_denied",
            $"Client '{client}': Key Vault {vaultHost} refused the {source} ({refused.Status} {refused.ErrorCode}): grant the app's identity the '{role}' role and check that the certificate is enabled.", refused),
        RequestFailedException { Status: 404 } => new("not_found",
            $"Client '{client}': the {source} was not found{(version is null ? "" : $" at version {version}")}.", exception),
        AuthenticationFailedException => new("vault_authentication_failed",
            $"Client '{client}': the app's identity could not get a token for Key Vault {vaultHost}.", exception),
        RequestFailedException or HttpRequestException or AggregateException or OperationCanceledException when !cancelledByCaller => new("vault_unreachable",
            $"Client '{client}': Key Vault {vaultHost} could not be reached for the {source} ({exception.GetType().Name}).", exception),
        CryptographicException or InvalidDataException or NotSupportedException or FormatException or ArgumentException => new("unsupported_content",
            $"Client '{client}': the {source} is not a PKCS#12 or PEM certificate with its private key ({exception.GetType().Name}).", exception),
        _ => null,
    };
}
