using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Certificates;
using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Credentials;

/// <summary>
/// A client certificate kept in Azure Key Vault. Nothing is fetched until MSAL must call Entra; the
/// first callers share one download; a background check picks up a newer version every refresh
/// interval; a certificate Entra rejects is replaced by the vault's latest at once.
/// </summary>
public sealed partial class KeyVaultCertificateSource : ICertificateSource, IDisposable
{
    private readonly string _client;
    private readonly string _name;
    private readonly string? _pinnedVersion;
    private readonly CertificateClient _vault;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshInterval;
    private readonly ILogger _logger;
    private readonly TokenTelemetry _telemetry;
    private readonly Lock _gate = new();
    private volatile X509Certificate2? _current;
    private volatile X509Certificate2? _previous;
    private Task<X509Certificate2>? _loading;
    private ITimer? _refreshTimer;
    private volatile CredentialStatus _status = CredentialStatus.NotLoaded;

    public KeyVaultCertificateSource(
        string client, CertificateClient vault, string name, string? pinnedVersion, TimeSpan refreshInterval, TokenTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        _telemetry = telemetry;
        _client = client;
        _vault = vault;
        _name = name;
        _pinnedVersion = pinnedVersion;
        _refreshInterval = refreshInterval;
        _time = time;
        _logger = logger;
    }

    public string Description => $"certificate '{_name}' in Key Vault {_vault.VaultUri.Host}";

    public CredentialStatus Status => _status;

    /// <summary>The background check under way or last finished (tests await it).</summary>
    internal Task LastRefresh { get; private set; } = Task.CompletedTask;

    public ValueTask<X509Certificate2> GetCertificateAsync(CancellationToken cancellationToken) =>
        _current is { } current ? ValueTask.FromResult(current) : new(LoadSharedAsync(cancellationToken));

    public async Task<bool> ReloadAfterRejectionAsync(CancellationToken cancellationToken)
    {
        var rejected = _current;
        if (_pinnedVersion is not null)
        {
            return false;
        }

        var latest = await DownloadAsync(version: null, cancellationToken).ConfigureAwait(false);
        if (rejected is not null && latest.Thumbprint == rejected.Thumbprint)
        {
            latest.Dispose();

            // The vault's newest version is the one Entra refuses: typically a rotation that reached the
            // vault before the app registration. The version used before it, still valid, goes back in.
            if (_previous is { } previous && previous.Thumbprint != rejected.Thumbprint && _time.GetUtcNow() < previous.NotAfter.ToUniversalTime())
            {
                _previous = rejected;
                _current = previous;
                LogRotated(_logger, _client, _name, "newest version rejected by Entra; back to the previous one");
                return true;
            }

            return false;
        }

        Swap(latest);
        _telemetry.KeyVaultOperation(_client, "rotation", "success");
        LogRotated(_logger, _client, _name, "rejected by Entra");
        return true;
    }

    public void Dispose()
    {
        _refreshTimer?.Dispose();
        _current?.Dispose();
    }

    private async Task<X509Certificate2> LoadSharedAsync(CancellationToken cancellationToken)
    {
        Task<X509Certificate2> loading;
        lock (_gate)
        {
            loading = _loading ??= LoadFirstAsync();
        }

        return await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<X509Certificate2> LoadFirstAsync()
    {
        try
        {
            // Not bound to any one caller's cancellation: every waiting caller shares this download.
            var certificate = await DownloadAsync(_pinnedVersion, CancellationToken.None).ConfigureAwait(false);
            Swap(certificate);
            if (_pinnedVersion is null)
            {
                _refreshTimer ??= _time.CreateTimer(_ => LastRefresh = RefreshAsync(), null, _refreshInterval, _refreshInterval);
            }

            return certificate;
        }
        finally
        {
            lock (_gate)
            {
                // A failed load is retried by the next caller rather than remembered.
                _loading = null;
            }
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            var latest = await _vault.GetCertificateAsync(_name).ConfigureAwait(false);
            var properties = latest.Value.Properties;
            if (properties.Enabled == false || _current is null ||
                CryptographicOperations.FixedTimeEquals(properties.X509Thumbprint ?? [], _current.GetCertHash()))
            {
                return;
            }

            Swap(await DownloadAsync(properties.Version, CancellationToken.None).ConfigureAwait(false));
            _telemetry.KeyVaultOperation(_client, "rotation", "success");
            LogRotated(_logger, _client, _name, "newer version in the vault");
        }
        catch (Exception ex) when (ex is RequestFailedException or ClientCredentialUnavailableException or AuthenticationFailedException or HttpRequestException)
        {
            // The current certificate stays in use; the next check tries again.
            _telemetry.KeyVaultOperation(_client, "rotation_check", "failure");
            LogRefreshFailed(_logger, _client, _name, ex.GetType().Name);
        }
    }

    private void Swap(X509Certificate2 certificate)
    {
        _previous = _current;
        // The previous certificate is not disposed: MSAL may be signing with it right now.
        _current = certificate;
        _status = CredentialStatus.Loaded;
    }

    private async Task<X509Certificate2> DownloadAsync(string? version, CancellationToken cancellationToken)
    {
        using var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.KeyVault", ActivityKind.Client);
        activity?.SetTag("tokenfunctions.client", _client);
        activity?.SetTag("server.address", _vault.VaultUri.Host);
        try
        {
            var options = new DownloadCertificateOptions(_name) { Version = version, KeyStorageFlags = CertificateChecks.KeyStorageFlags };
            var response = await _vault.DownloadCertificateAsync(options, cancellationToken).ConfigureAwait(false);
            var certificate = CertificateChecks.WithPrivateKey(_client, Description, response.Value);
            CertificateChecks.EnsureValidNow(_client, Description, certificate, _time);
            LogLoaded(_logger, _client, _name, certificate.Thumbprint);
            _telemetry.KeyVaultOperation(_client, "load", "success");
            return certificate;
        }
        catch (ClientCredentialUnavailableException ex)
        {
            throw Failing(ex);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw Failing(new ClientCredentialUnavailableException("access_denied",
                $"Client '{_client}': Key Vault {_vault.VaultUri.Host} refused the {Description} ({ex.Status} {ex.ErrorCode}): grant the app's identity the 'Key Vault Certificate User' role and check that the certificate is enabled.", ex));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw Failing(new ClientCredentialUnavailableException("not_found",
                $"Client '{_client}': the {Description} was not found{(version is null ? "" : $" at version {version}")}.", ex));
        }
        catch (AuthenticationFailedException ex)
        {
            throw Failing(new ClientCredentialUnavailableException("vault_authentication_failed",
                $"Client '{_client}': the app's identity could not get a token for Key Vault {_vault.VaultUri.Host}.", ex));
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Failing(new ClientCredentialUnavailableException("vault_unreachable",
                $"Client '{_client}': Key Vault {_vault.VaultUri.Host} could not be reached for the {Description} ({ex.GetType().Name}).", ex));
        }
        catch (Exception ex) when (ex is CryptographicException or InvalidDataException or NotSupportedException or FormatException or ArgumentException)
        {
            throw Failing(new ClientCredentialUnavailableException("unsupported_content",
                $"Client '{_client}': the {Description} is not a PKCS#12 or PEM certificate with its private key ({ex.GetType().Name}).", ex));
        }
    }

    private ClientCredentialUnavailableException Failing(ClientCredentialUnavailableException exception)
    {
        _telemetry.KeyVaultOperation(_client, "load", exception.FailureClass);
        Activity.Current?.SetStatus(ActivityStatusCode.Error, exception.FailureClass);
        _status = new CredentialStatus(CredentialState.Failing, exception.FailureClass);
        LogLoadFailed(_logger, _client, exception.FailureClass, exception.Message);
        return exception;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Client {Client}: certificate {Certificate} loaded from Key Vault (thumbprint {Thumbprint})")]
    private static partial void LogLoaded(ILogger logger, string client, string certificate, string thumbprint);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Client {Client}: certificate {Certificate} replaced ({Reason})")]
    private static partial void LogRotated(ILogger logger, string client, string certificate, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error,
        Message = "Client {Client}: certificate could not be loaded ({FailureClass}): {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string client, string failureClass, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning,
        Message = "Client {Client}: background check of certificate {Certificate} failed ({Failure}); the current one stays in use")]
    private static partial void LogRefreshFailed(ILogger logger, string client, string certificate, string failure);
}
