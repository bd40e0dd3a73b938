using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Security.KeyVault.Certificates;
using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Credentials;

/// <summary>
/// Client assertions signed inside Key Vault with a certificate's key, which never leaves the vault (so
/// the certificate may be non-exportable, or HSM-backed). Only the certificate's public part and key id
/// are read (<c>GET /certificates</c>, never its secret); each assertion is built here
/// (<see cref="CertificateAssertion"/>) and its digest signed by the vault (<see cref="KeyVaultSigningClient"/>).
/// Nothing is read until MSAL must call Entra; signed assertions are reused per token endpoint when the
/// provider allows it (<see cref="SignedAssertionCache"/>); a background check picks up a newer version every refresh
/// interval; a version Entra refuses gives way to the best other one, as for a downloaded certificate.
/// </summary>
public sealed partial class KeyVaultSignedAssertionSource : IClientAssertionSource, IDisposable
{
    /// <summary>With its signer unknown, a rejection this soon after a replacement is taken to be the old key's.</summary>
    private static readonly TimeSpan InFlightAfterReplacement = TimeSpan.FromMinutes(1);

    private readonly string _client;
    private readonly string _name;
    private readonly string? _pinnedVersion;
    private readonly CertificateClient _vault;
    private readonly KeyVaultSigningClient _signer;
    private readonly CertificateAssertionFormat _format;
    private readonly TimeSpan _refreshInterval;
    private readonly TokenTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SignedAssertionCache _assertions;
    private readonly Func<string, Task<SignedAssertion>> _sign;
    private readonly CertificateRefusals _refusals = new();
    private readonly Lock _gate = new();
    private volatile VaultSigningKey? _current;
    private Task<VaultSigningKey>? _loading;
    private Task<bool>? _replacing;
    private DateTimeOffset? _replacedAt;
    private ITimer? _refreshTimer;
    private volatile CredentialStatus _status = CredentialStatus.NotLoaded;

    public KeyVaultSignedAssertionSource(
        string client, CertificateClient vault, KeyVaultSigningClient signer, string name, string? pinnedVersion,
        CertificateAssertionFormat format, TimeSpan refreshInterval, TokenTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        _client = client;
        _vault = vault;
        _signer = signer;
        _name = name;
        _pinnedVersion = pinnedVersion;
        _format = format;
        _refreshInterval = refreshInterval;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _assertions = new SignedAssertionCache(time);
        _sign = SignAsync;
    }

    public string Description => $"key of certificate '{_name}' in Key Vault {_vault.VaultUri.Host}";

    public CredentialStatus Status => _status;

    /// <summary>The background check under way or last finished (tests await it).</summary>
    internal Task LastRefresh { get; private set; } = Task.CompletedTask;

    public async ValueTask<ClientAssertion> GetAssertionAsync(string tokenEndpoint, CancellationToken cancellationToken)
    {
        var signed = _format.Reusable
            ? await _assertions.GetAsync(tokenEndpoint, _current?.KeyId.AbsoluteUri, _sign, cancellationToken).ConfigureAwait(false)
            : await SignAsync(tokenEndpoint).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new ClientAssertion(signed.Jwt, signed.KeyId);
    }

    public async Task<bool> ReloadAfterRejectionAsync(string? refusedSigner, CancellationToken cancellationToken)
    {
        Task<bool> replacing;
        lock (_gate)
        {
            if (refusedSigner is not null && _current is { } current && refusedSigner != current.KeyId.AbsoluteUri)
            {
                // Signed with a key replaced since (a rotation, another refusal): retry with the current one.
                return true;
            }

            if (refusedSigner is null && _replacedAt is { } replaced && _time.GetUtcNow() - replaced < InFlightAfterReplacement)
            {
                // Signed with the key just replaced: retry with the new key's assertions, forget none of them.
                return true;
            }

            if (_replacing is null)
            {
                // A pinned version is what the operator asked for: never another one.
                if (_pinnedVersion is not null || _current is not { } refused)
                {
                    // At least the next request presents a new assertion.
                    _assertions.Clear();
                    return false;
                }

                // One replacement at a time for every refused request, not bound to any one caller's cancellation.
                _replacing = Task.Run(() => ReplaceRefusedAsync(refused), CancellationToken.None);
            }

            replacing = _replacing;
        }

        return await replacing.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _refreshTimer?.Dispose();

    private async Task<SignedAssertion> SignAsync(string tokenEndpoint)
    {
        var key = _current ?? await LoadSharedAsync().ConfigureAwait(false);
        var draft = CertificateAssertion.Draft(key.Certificate, _format, tokenEndpoint, _time.GetUtcNow());
        var signed = await FromVaultAsync(key.Version, "Key Vault Crypto User", "sign", background: false, ct => _signer.SignAsync(key.KeyId, draft.Algorithm, draft.Digest, ct))
            .ConfigureAwait(false);
        _telemetry.KeyVaultOperation(_client, "sign", "success");
        _status = CredentialStatus.Loaded;
        return new SignedAssertion(draft.WithSignature(signed.Signature), draft.ExpiresOn, key.KeyId.AbsoluteUri);
    }

    private Task<VaultSigningKey> LoadSharedAsync()
    {
        lock (_gate)
        {
            return _loading ??= LoadFirstAsync();
        }
    }

    private async Task<VaultSigningKey> LoadFirstAsync()
    {
        // Never within the caller's lock: its finally below takes the lock itself.
        await Task.Yield();
        try
        {
            var key = await ReadAsync(_pinnedVersion).ConfigureAwait(false);
            _current = key;
            if (_pinnedVersion is null)
            {
                _refreshTimer ??= _time.CreateTimer(_ => LastRefresh = RefreshAsync(), null, _refreshInterval, _refreshInterval);
            }

            return key;
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
    /// Entra refused assertions of <paramref name="refused"/>: the best other enabled, valid version takes its
    /// place (the newest, or the newest older one when the newest is the one refused). False when there is none.
    /// </summary>
    private async Task<bool> ReplaceRefusedAsync(VaultSigningKey refused)
    {
        try
        {
            _refusals.Add(refused.Thumbprint);
            var versions = await FromVaultAsync(null, "Key Vault Certificate User", "load", background: false,
                async ct => await _vault.GetPropertiesOfCertificateVersionsAsync(_name, ct).ToListAsync(ct).ConfigureAwait(false)).ConfigureAwait(false);
            foreach (var version in _refusals.StandInsFor(refused.Thumbprint, versions, _time.GetUtcNow()))
            {
                try
                {
                    Swap(await ReadAsync(version.Version).ConfigureAwait(false));
                }
                catch (ClientCredentialUnavailableException ex) when (ex.FailureClass is "unsupported_key" or "not_found" or "expired" or "not_yet_valid" or "disabled")
                {
                    continue; // this version itself is unusable; the next may do
                }

                lock (_gate)
                {
                    _replacedAt = _time.GetUtcNow();
                }

                _telemetry.KeyVaultOperation(_client, "rotation", "success");
                LogReplacedRefused(_logger, _client, _name, refused.Thumbprint, version.Version, _current!.Thumbprint);
                return true;
            }

            // Nothing to switch to: at least the next request presents a new assertion.
            _assertions.Clear();
            return false;
        }
        finally
        {
            lock (_gate)
            {
                _replacing = null;
            }
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            var latest = await ReadAsync(null, background: true).ConfigureAwait(false);
            if (_current is not { } current || latest.KeyId == current.KeyId || _refusals.Contains(latest.Thumbprint))
            {
                // A newest version Entra refused stays out until the vault has a newer one.
                return;
            }

            Swap(latest);
            _refusals.Forget();
            _telemetry.KeyVaultOperation(_client, "rotation", "success");
            LogRotated(_logger, _client, _name, latest.Version);
        }
        catch (ClientCredentialUnavailableException ex)
        {
            // The current key stays in use (a disabled newest version included); the next check tries again.
            _telemetry.KeyVaultOperation(_client, "rotation_check", "failure");
            LogRefreshFailed(_logger, _client, _name, ex.FailureClass);
        }
    }

    /// <summary>A new key from now on: the cache hands out no assertion of the old one again (it knows which key signed each).</summary>
    private void Swap(VaultSigningKey key) => _current = key;

    /// <summary>The public certificate and key id of <paramref name="version"/> (null: the latest), checked for use.</summary>
    private Task<VaultSigningKey> ReadAsync(string? version, bool background = false) =>
        FromVaultAsync(version, "Key Vault Certificate User", "load", background, async ct =>
        {
            KeyVaultCertificate bundle = version is null
                ? (await _vault.GetCertificateAsync(_name, ct).ConfigureAwait(false)).Value
                : (await _vault.GetCertificateVersionAsync(_name, version, ct).ConfigureAwait(false)).Value;
            var key = VaultSigningKey.From(bundle, _client, Description, _format.Algorithm, _time);
            LogLoaded(_logger, _client, _name, key.Version, key.Thumbprint);
            _telemetry.KeyVaultOperation(_client, "load", "success");
            return key;
        });

    /// <summary>
    /// One call to the vault, traced, with every way it can fail turned into a clear <see cref="ClientCredentialUnavailableException"/>;
    /// unless it is the <paramref name="background"/> check, the credential is failing from then on (health, metrics, log).
    /// </summary>
    private async Task<T> FromVaultAsync<T>(string? version, string role, string operation, bool background, Func<CancellationToken, Task<T>> call)
    {
        using var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.KeyVault", ActivityKind.Client);
        activity?.SetTag("tokenfunctions.client", _client);
        activity?.SetTag("server.address", _vault.VaultUri.Host);
        activity?.SetTag("tokenfunctions.keyvault.operation", operation);
        try
        {
            // Not bound to any one caller's cancellation: the callers waiting for it share it.
            return await call(CancellationToken.None).ConfigureAwait(false);
        }
        catch (CryptographicException ex)
        {
            var failure = new ClientCredentialUnavailableException("unsupported_content",
                $"Client '{_client}': the {Description} has no readable X.509 certificate ({ex.GetType().Name}).", ex);
            throw background ? failure : Failing(operation, failure);
        }
        catch (Exception ex) when (KeyVaultFailure.Explain(ex, _client, Description, _vault.VaultUri.Host, version, cancelledByCaller: false, role) is { } failure)
        {
            throw background ? failure : Failing(operation, failure);
        }
    }

    private ClientCredentialUnavailableException Failing(string operation, ClientCredentialUnavailableException exception)
    {
        _telemetry.KeyVaultOperation(_client, operation, exception.FailureClass);
        Activity.Current?.SetStatus(ActivityStatusCode.Error, exception.FailureClass);
        _status = new CredentialStatus(CredentialState.Failing, exception.FailureClass);
        LogFailed(_logger, _client, exception.FailureClass, exception.Message);
        return exception;
    }

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information,
        Message = "Client {Client}: certificate {Certificate} version {Version} signs in Key Vault (thumbprint {Thumbprint})")]
    private static partial void LogLoaded(ILogger logger, string client, string certificate, string version, string thumbprint);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning,
        Message = "Client {Client}: certificate {Certificate} now signs with its newer version {Version}")]
    private static partial void LogRotated(ILogger logger, string client, string certificate, string version);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error,
        Message = "Client {Client}: no client assertion could be signed in Key Vault ({FailureClass}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string client, string failureClass, string reason);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning,
        Message = "Client {Client}: background check of certificate {Certificate} failed ({Failure}); the current key stays in use")]
    private static partial void LogRefreshFailed(ILogger logger, string client, string certificate, string failure);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra refused assertions signed with certificate {Certificate} (thumbprint {Refused}); version {Version} (thumbprint {Thumbprint}) signs until the vault has a newer one")]
    private static partial void LogReplacedRefused(ILogger logger, string client, string certificate, string refused, string version, string thumbprint);
}
