using System.Diagnostics;
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
/// interval; a certificate Entra rejects is replaced at once by the best other enabled, valid version
/// (the newest, or when the newest is the one refused, the newest older one), once for all requests.
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
    private readonly CertificateRefusals _refusals = new();
    private volatile X509Certificate2? _current;
    private volatile X509Certificate2? _previous;
    private Task<X509Certificate2>? _loading;
    private Task? _replacing;
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

    public async Task<bool> ReloadAfterRejectionAsync(string? refusedThumbprint, CancellationToken cancellationToken)
    {
        // A pinned version is what the operator asked for: never another one.
        if (_pinnedVersion is not null || (refusedThumbprint ?? _current?.Thumbprint) is not { } refused)
        {
            return false;
        }

        Task replacing;
        lock (_gate)
        {
            if (_current is { } current && current.Thumbprint != refused)
            {
                // Another request already replaced it: retry with the current one, touch nothing.
                return true;
            }

            // One replacement at a time for every refused request, not bound to any one caller's cancellation.
            replacing = _replacing ??= Task.Run(() => ReplaceRefusedAsync(refused), CancellationToken.None);
        }

        await replacing.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _current is { } now && now.Thumbprint != refused;
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

    /// <summary>
    /// Entra refused <paramref name="refused"/>: the best other enabled, valid version takes its place —
    /// the vault's newest when that is another one (a rotation), else the newest older one (the newest
    /// reached the vault before the app registration). Nothing is changed when there is none.
    /// </summary>
    private async Task ReplaceRefusedAsync(string refused)
    {
        try
        {
            _refusals.Add(refused);
            var versions = await FromVaultAsync(null, ListVersionsAsync, CancellationToken.None).ConfigureAwait(false);
            foreach (var version in _refusals.StandInsFor(refused, versions, _time.GetUtcNow()))
            {
                if (_previous is { } previous && previous.Thumbprint == CertificateRefusals.Thumbprint(version))
                {
                    // Still held from before the last swap: no download needed.
                    Swap(previous);
                }
                else
                {
                    try
                    {
                        Swap(await DownloadAsync(version.Version, CancellationToken.None).ConfigureAwait(false));
                    }
                    catch (ClientCredentialUnavailableException ex) when (ex.FailureClass is "no_private_key" or "unsupported_content" or "not_found" or "expired" or "not_yet_valid")
                    {
                        continue; // this version itself is unusable; the next may do
                    }
                }

                _telemetry.KeyVaultOperation(_client, "rotation", "success");
                LogReplacedRefused(_logger, _client, _name, refused, version.Version, _current!.Thumbprint);
                return;
            }
        }
        finally
        {
            lock (_gate)
            {
                _replacing = null;
            }
        }
    }

    private async Task<IReadOnlyList<CertificateProperties>> ListVersionsAsync(CancellationToken cancellationToken)
    {
        var versions = new List<CertificateProperties>();
        await foreach (var version in _vault.GetPropertiesOfCertificateVersionsAsync(_name, cancellationToken).ConfigureAwait(false))
        {
            versions.Add(version);
        }

        return versions;
    }

    private async Task RefreshAsync()
    {
        try
        {
            var latest = (await _vault.GetCertificateAsync(_name).ConfigureAwait(false)).Value.Properties;
            if (latest.Enabled == false || _current is not { } current || CertificateRefusals.Thumbprint(latest) is not { } thumbprint ||
                thumbprint == current.Thumbprint || _refusals.Contains(thumbprint))
            {
                // A newest version Entra refused stays out until the vault has a newer one.
                return;
            }

            Swap(await DownloadAsync(latest.Version, CancellationToken.None).ConfigureAwait(false));
            _refusals.Forget();
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

    private Task<X509Certificate2> DownloadAsync(string? version, CancellationToken cancellationToken) =>
        FromVaultAsync(version, async ct =>
        {
            var options = new DownloadCertificateOptions(_name) { Version = version, KeyStorageFlags = CertificateChecks.KeyStorageFlags };
            var response = await _vault.DownloadCertificateAsync(options, ct).ConfigureAwait(false);
            var certificate = CertificateChecks.WithPrivateKey(_client, Description, response.Value);
            CertificateChecks.EnsureValidNow(_client, Description, certificate, _time);
            LogLoaded(_logger, _client, _name, certificate.Thumbprint);
            _telemetry.KeyVaultOperation(_client, "load", "success");
            return certificate;
        }, cancellationToken);

    /// <summary>One call to the vault, traced, with every way it can fail turned into a clear <see cref="ClientCredentialUnavailableException"/>.</summary>
    private async Task<T> FromVaultAsync<T>(string? version, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.KeyVault", ActivityKind.Client);
        activity?.SetTag("tokenfunctions.client", _client);
        activity?.SetTag("server.address", _vault.VaultUri.Host);
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (KeyVaultFailure.Explain(ex, _client, Description, _vault.VaultUri.Host, version, cancellationToken.IsCancellationRequested) is { } failure)
        {
            throw Failing(failure);
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

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra refused certificate {Certificate} (thumbprint {Refused}); version {Version} (thumbprint {Thumbprint}) stands in until the vault has a newer one")]
    private static partial void LogReplacedRefused(ILogger logger, string client, string certificate, string refused, string version, string thumbprint);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning,
        Message = "Client {Client}: background check of certificate {Certificate} failed ({Failure}); the current one stays in use")]
    private static partial void LogRefreshFailed(ILogger logger, string client, string certificate, string failure);
}
