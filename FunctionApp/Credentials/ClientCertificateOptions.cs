namespace TokenFunctions.Credentials;

/// <summary><c>Clients__{name}__Certificate__...</c>.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>The vault holding the certificate, e.g. <c>https://my-vault.vault.azure.net/</c>.</summary>
    public string? KeyVaultUri { get; set; }

    /// <summary>The certificate's name in the vault.</summary>
    public string? Name { get; set; }

    /// <summary>Pins one version; empty follows the latest enabled version (rotation).</summary>
    public string? Version { get; set; }

    /// <summary>A PFX file, for local development.</summary>
    public string? Path { get; set; }

    public string? Password { get; set; }

    /// <summary>Send the x5c chain in the client assertion (subject name / issuer authentication).</summary>
    public bool SendX5c { get; set; }

    /// <summary>
    /// Sign client assertions inside the vault with the certificate's key, reading only its public part:
    /// the key never reaches the worker and may be non-exportable or in an HSM.
    /// </summary>
    public bool SignInKeyVault { get; set; }
}
