using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// A certificate from a PFX file, for local development. Loaded on first use with an ephemeral key
/// (never written to a key store) and kept; read again when Entra rejects it, in case the file was
/// replaced.
/// </summary>
public sealed class PfxFileCertificateSource(string clientName, string path, string? password, TimeProvider time) : ICertificateSource
{
    private volatile X509Certificate2? _current;
    private volatile CredentialStatus _status = CredentialStatus.NotLoaded;

    public string Description => $"certificate file '{path}'";

    public CredentialStatus Status => _status;

    public ValueTask<X509Certificate2> GetCertificateAsync(CancellationToken cancellationToken)
    {
        try
        {
            return ValueTask.FromResult(_current ??= Load());
        }
        catch (ClientCredentialUnavailableException ex)
        {
            return ValueTask.FromException<X509Certificate2>(ex);
        }
    }

    public Task<bool> ReloadAfterRejectionAsync(string? refusedThumbprint, CancellationToken cancellationToken)
    {
        var refused = refusedThumbprint ?? _current?.Thumbprint;
        var reloaded = Load();
        _current = reloaded;
        return Task.FromResult(refused is null || refused != reloaded.Thumbprint);
    }

    private X509Certificate2 Load()
    {
        try
        {
            var certificate = CertificateChecks.WithPrivateKey(
                clientName,
                Description,
                X509CertificateLoader.LoadPkcs12FromFile(path, password, CertificateChecks.KeyStorageFlags));
            CertificateChecks.EnsureValidNow(clientName, Description, certificate, time);
            _status = CredentialStatus.Loaded;
            return certificate;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // The inner exception's message may echo the path, never the password or the key.
            _status = new CredentialStatus(CredentialState.Failing, "unreadable");
            throw new ClientCredentialUnavailableException("unreadable", $"Client '{clientName}': the {Description} could not be loaded ({ex.GetType().Name}).", ex);
        }
        catch (ClientCredentialUnavailableException ex)
        {
            _status = new CredentialStatus(CredentialState.Failing, ex.FailureClass);
            throw;
        }
    }
}
