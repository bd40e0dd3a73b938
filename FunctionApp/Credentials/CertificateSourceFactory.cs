using System.Runtime.CompilerServices;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Credentials;

/// <summary>
/// Makes each client's certificate source, or for a key that signs in the vault its assertion source, from
/// its settings. The Key Vault parts are made in methods of their own, on the first client that needs
/// them, so that nothing of the Key Vault SDK is loaded or compiled for a broker that uses no vault.
/// </summary>
public sealed class CertificateSourceFactory(
    TokenCredential credential,
    IHttpClientFactory httpClients,
    IOptions<CredentialOptions> options,
    TokenTelemetry telemetry,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly Lock _gate = new();
    private KeyVaultClients? _keyVault;

    public ICertificateSource? Create(string client, ClientCertificateOptions? settings) => settings switch
    {
        { SignInKeyVault: true } => null,
        { KeyVaultUri: { Length: > 0 }, Name: { Length: > 0 } } => CreateKeyVaultSource(client, settings),
        { Path: { Length: > 0 } path } => new PfxFileCertificateSource(client, path, settings.Password, time),
        _ => null,
    };

    /// <summary>The assertion source of a client whose certificate signs in Key Vault; null for any other client.</summary>
    public IClientAssertionSource? CreateAssertionSource(string client, ClientCertificateOptions? settings, CertificateAssertionFormat format) => settings switch
    {
        { SignInKeyVault: true, KeyVaultUri: { Length: > 0 }, Name: { Length: > 0 } } => CreateSigningSource(client, settings, format),
        _ => null,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ICertificateSource CreateKeyVaultSource(string client, ClientCertificateOptions settings) => new KeyVaultCertificateSource(
        client,
        KeyVault().Certificates(settings.KeyVaultUri!),
        settings.Name!,
        string.IsNullOrEmpty(settings.Version) ? null : settings.Version,
        options.Value.RefreshInterval,
        telemetry,
        time,
        loggers.CreateLogger($"TokenFunctions.Credentials.{client}"));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private IClientAssertionSource CreateSigningSource(string client, ClientCertificateOptions settings, CertificateAssertionFormat format)
    {
        var vaults = KeyVault();
        return new KeyVaultSignedAssertionSource(
            client,
            vaults.Certificates(settings.KeyVaultUri!),
            vaults.Signer(settings.KeyVaultUri!),
            settings.Name!,
            string.IsNullOrEmpty(settings.Version) ? null : settings.Version,
            format,
            options.Value.RefreshInterval,
            telemetry,
            time,
            loggers.CreateLogger($"TokenFunctions.Credentials.{client}"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private KeyVaultClients KeyVault()
    {
        lock (_gate)
        {
            return _keyVault ??= new KeyVaultClients(credential, httpClients);
        }
    }
}
