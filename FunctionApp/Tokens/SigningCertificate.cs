using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Tokens;

/// <summary>
/// Which certificate one acquisition signed its client assertion with. MSAL asks the certificate
/// provider for it deep inside the call; the provider notes it here, and the acquisition reads it when
/// Entra refuses the certificate. By then a concurrent acquisition may already have replaced the
/// source's current certificate, so only this says which one was refused.
/// </summary>
internal sealed class SigningCertificate
{
    private static readonly AsyncLocal<SigningCertificate?> Acquisition = new();
    private volatile string? _thumbprint;

    public string? Thumbprint => _thumbprint;

    /// <summary>Starts noting for the calling async flow (the acquisition and everything it calls).</summary>
    public static SigningCertificate Track()
    {
        var tracked = new SigningCertificate();
        Acquisition.Value = tracked;
        return tracked;
    }

    /// <summary>Called with what the provider hands MSAL; returns it unchanged.</summary>
    public static X509Certificate2 Note(X509Certificate2 certificate)
    {
        if (Acquisition.Value is { } tracked)
        {
            tracked._thumbprint = certificate.Thumbprint;
        }

        return certificate;
    }
}
