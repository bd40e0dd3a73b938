using Azure.Security.KeyVault.Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// The versions of one Key Vault certificate that Entra refused on this instance, and what follows for
/// the choice of version. A rotation can reach the vault before the app registration: then the newest
/// version is refused while an older one still works, so the background refresh must not go back to a
/// refused version, and a stand-in is picked among the others — not refused yet before refused, each
/// newest first. Forgotten once the vault's newest version is one not refused: someone has acted.
/// </summary>
public sealed class CertificateRefusals
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _thumbprints = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A version's SHA-1 thumbprint as <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2.Thumbprint"/> writes it.</summary>
    public static string? Thumbprint(CertificateProperties version) =>
        version.X509Thumbprint is { Length: > 0 } x5t ? Convert.ToHexString(x5t) : null;

    public void Add(string thumbprint)
    {
        lock (_gate)
        {
            _thumbprints.Add(thumbprint);
        }
    }

    public bool Contains(string thumbprint)
    {
        lock (_gate)
        {
            return _thumbprints.Contains(thumbprint);
        }
    }

    public void Forget()
    {
        lock (_gate)
        {
            _thumbprints.Clear();
        }
    }

    /// <summary>
    /// The versions that may stand in for <paramref name="refused"/>, best first: enabled, valid at
    /// <paramref name="now"/> by the vault's own dates, not the refused certificate. One refused earlier
    /// comes last rather than never: Entra may accept it by now, and the alternative is no token at all.
    /// </summary>
    public IReadOnlyList<CertificateProperties> StandInsFor(string refused, IEnumerable<CertificateProperties> versions, DateTimeOffset now)
    {
        lock (_gate)
        {
            return
            [
                .. versions
                    .Where(v => v.Enabled != false && !(v.NotBefore > now) && !(v.ExpiresOn < now) &&
                                Thumbprint(v) is { } thumbprint && !thumbprint.Equals(refused, StringComparison.OrdinalIgnoreCase))
                    .OrderBy(v => _thumbprints.Contains(Thumbprint(v)!))
                    .ThenByDescending(v => v.CreatedOn ?? DateTimeOffset.MinValue),
            ];
        }
    }
}
