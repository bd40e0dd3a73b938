using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Credentials;

/// <summary>
/// Makes each client's certificate source, or for a key that signs in the vault its assertion source, from
/// its settings; one Key Vault certificate client and one signing client per vault, on the same HttpClient.
/// </summary>
public sealed class CertificateSourceFactory(
    TokenCredential credential,
    IHttpClientFactory httpClients,
    IOptions<CredentialOptions> options,
    TokenTelemetry telemetry,
    TimeProvider time,
    ILoggerFactory loggers)
{
    public const string KeyVaultHttpClientName = "KeyVault";

    private readonly ConcurrentDictionary<Uri, CertificateClient> _vaults = new();
    private readonly ConcurrentDictionary<Uri, KeyVaultSigningClient> _signers = new();

    public ICertificateSource? Create(string client, ClientCertificateOptions? settings) => settings switch
    {
        { SignInKeyVault: true } => null,
        { KeyVaultUri: { Length: > 0 } vault, Name: { Length: > 0 } name } => new KeyVaultCertificateSource(
            client,
            _vaults.GetOrAdd(new Uri(vault), CreateVaultClient),
            name,
            string.IsNullOrEmpty(settings.Version) ? null : settings.Version,
            options.Value.RefreshInterval,
            telemetry,
            time,
            loggers.CreateLogger($"TokenFunctions.Credentials.{client}")),
        { Path: { Length: > 0 } path } => new PfxFileCertificateSource(client, path, settings.Password, time),
        _ => null,
    };

    /// <summary>The assertion source of a client whose certificate signs in Key Vault; null for any other client.</summary>
    public IClientAssertionSource? CreateAssertionSource(string client, ClientCertificateOptions? settings, CertificateAssertionFormat format) => settings switch
    {
        { SignInKeyVault: true, KeyVaultUri: { Length: > 0 } vault, Name: { Length: > 0 } name } => new KeyVaultSignedAssertionSource(
            client,
            _vaults.GetOrAdd(new Uri(vault), CreateVaultClient),
            _signers.GetOrAdd(new Uri(vault), uri => new KeyVaultSigningClient(uri, credential, new HttpClientTransport(httpClients.CreateClient(KeyVaultHttpClientName)))),
            name,
            string.IsNullOrEmpty(settings.Version) ? null : settings.Version,
            format,
            options.Value.RefreshInterval,
            telemetry,
            time,
            loggers.CreateLogger($"TokenFunctions.Credentials.{client}")),
        _ => null,
    };

    private CertificateClient CreateVaultClient(Uri vault)
    {
        var clientOptions = new CertificateClientOptions
        {
            Transport = new HttpClientTransport(httpClients.CreateClient(KeyVaultHttpClientName)),
        };
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        return new CertificateClient(vault, credential, clientOptions);
    }
}
