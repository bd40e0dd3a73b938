using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// Supplies a client's signing certificate. MSAL asks only when it must call Entra, so a source
/// loads lazily and caches; it throws <see cref="ClientCredentialUnavailableException"/> when it cannot.
/// </summary>
public interface ICertificateSource
{
    /// <summary>Where the certificate comes from, for messages and health: never secret.</summary>
    string Description { get; }

    /// <summary>What the source knows of its certificate now, without loading it.</summary>
    CredentialStatus Status { get; }

    ValueTask<X509Certificate2> GetCertificateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Entra rejected the certificate with <paramref name="refusedThumbprint"/> (null: the current one):
    /// replace it if it is still current. True when a different certificate is now current (worth one
    /// retry), also when a concurrent request already replaced it; false when there is nothing else.
    /// </summary>
    Task<bool> ReloadAfterRejectionAsync(string? refusedThumbprint, CancellationToken cancellationToken);
}

/// <summary>A credential's state as health reports it: a class of failure, never an exception's text.</summary>
public sealed record CredentialStatus(CredentialState State, string? FailureClass = null)
{
    public static readonly CredentialStatus NotLoaded = new(CredentialState.NotYetNeeded);
    public static readonly CredentialStatus Loaded = new(CredentialState.Loaded);
}

public enum CredentialState
{
    NotYetNeeded,
    Loaded,
    Failing,
}
