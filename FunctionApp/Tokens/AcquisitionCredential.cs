using System.Security.Cryptography.X509Certificates;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>
/// What one acquisition's credential did, noted from inside MSAL's call: which certificate it signed
/// its client assertion with, and which credential it was still waiting for. MSAL asks the credential
/// deep inside the call; the acquisition reads this afterwards — when Entra refuses the certificate
/// (by then a concurrent acquisition may already have replaced the source's current one, so only this
/// says which was refused), and when the time budget runs out (so the error names the vault or the
/// identity endpoint that did not answer, not Entra, which was never called).
/// </summary>
internal sealed class AcquisitionCredential
{
    private static readonly AsyncLocal<AcquisitionCredential?> Acquisition = new();
    private volatile string? _signedBy;
    private volatile string? _pending;

    /// <summary>What signed the client assertion: the certificate's thumbprint, or the assertion source's signer (a key id).</summary>
    public string? SignedBy => _signedBy;

    /// <summary>The credential source being waited for right now (its description), if any.</summary>
    public string? Pending => _pending;

    /// <summary>Starts noting for the calling async flow (the acquisition and everything it calls).</summary>
    public static AcquisitionCredential Track()
    {
        var tracked = new AcquisitionCredential();
        Acquisition.Value = tracked;
        return tracked;
    }

    /// <summary>Called with what the provider hands MSAL; returns it unchanged.</summary>
    public static X509Certificate2 Note(X509Certificate2 certificate)
    {
        if (Acquisition.Value is { } tracked)
        {
            tracked._signedBy = certificate.Thumbprint;
        }

        return certificate;
    }

    /// <summary>Called with what an assertion source hands MSAL; returns the assertion itself.</summary>
    public static string Note(ClientAssertion assertion)
    {
        if (Acquisition.Value is { } tracked)
        {
            tracked._signedBy = assertion.SignedBy;
        }

        return assertion.Value;
    }

    /// <summary>
    /// Runs <paramref name="load"/>, noting that the acquisition waits for <paramref name="source"/>
    /// until it has answered; a load that fails or is cancelled stays noted, for the acquisition to name.
    /// </summary>
    public static async Task<T> LoadAsync<T>(string source, Func<Task<T>> load)
    {
        var tracked = Acquisition.Value;
        if (tracked is not null)
        {
            tracked._pending = source;
        }

        var loaded = await load().ConfigureAwait(false);
        if (tracked is not null)
        {
            tracked._pending = null;
        }

        return loaded;
    }
}
