using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Tests.Fakes;

/// <summary>Certificates made at test start: never committed, never trusted outside this process.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyTls = new(CreateTls);

    /// <summary>
    /// The TLS certificate every loopback fake serves, valid for the real host names the clients
    /// dial (Entra, regional Entra, Key Vault, IMDS is plain HTTP). The routing handler pins it.
    /// </summary>
    public static X509Certificate2 Tls => LazyTls.Value;

    /// <summary>A client credential certificate (RSA 2048 with a private key), as an app registration would hold.</summary>
    public static X509Certificate2 CreateClientCertificate(string subject = "CN=TokenFunctions test client", TimeSpan? validFor = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validFor ?? TimeSpan.FromDays(30)));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>Writes a certificate with its key as a PFX file, as a developer would keep one locally.</summary>
    public static string WritePfx(X509Certificate2 certificate, string directory, string? password)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private static X509Certificate2 CreateTls()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=TokenFunctions loopback fakes", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("login.microsoftonline.com");
        names.AddDnsName("*.login.microsoft.com");
        names.AddDnsName("login.microsoft.com");
        names.AddDnsName("*.vault.azure.net");
        names.AddDnsName(FakeEntraId.OidcHost);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
