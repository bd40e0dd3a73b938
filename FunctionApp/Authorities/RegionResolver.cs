using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Caching;

namespace TokenFunctions.Authorities;

/// <summary>
/// Finds the Azure region for <c>AzureRegion = TryAutoDetect</c>, cheapest source first:
/// <c>MSAL_FORCE_REGION</c>, <c>REGION_NAME</c> (Azure Functions sets it), the outcome an earlier
/// instance persisted in the Table, and last the instance metadata service with a short timeout.
/// The outcome — a region or "none" — is persisted, so the next cold start does no discovery; the
/// resolved name is handed to MSAL, so MSAL never probes IMDS itself.
/// </summary>
public sealed partial class RegionResolver(
    IConfiguration configuration,
    BrokerRecords records,
    IHttpClientFactory httpClients,
    IOptions<EntraHttpOptions> options,
    TimeProvider time,
    ILogger<RegionResolver> logger)
{
    private static readonly TimeSpan FoundLifetime = TimeSpan.FromHours(24);
    private static readonly TimeSpan NotFoundLifetime = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private (Task<ResolvedRegion> Detection, DateTimeOffset Until)? _detected;

    /// <summary>The region for a client's <c>AzureRegion</c> setting (validated at start-up).</summary>
    public ValueTask<ResolvedRegion> ResolveAsync(string? setting, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(setting) || IsTrue(configuration["MSAL_DISABLE_REGION"]))
        {
            return ValueTask.FromResult(ResolvedRegion.Global);
        }

        if (!setting.Equals(AzureRegionName.AutoDetect, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(new ResolvedRegion(AzureRegionName.Normalize(setting), RegionSource.Configured));
        }

        Task<ResolvedRegion> detection;
        lock (_gate)
        {
            if (_detected is not { } detected || time.GetUtcNow() >= detected.Until)
            {
                // Shared by every client and request of this process; re-done when its outcome ages out.
                var task = DetectAsync();
                _detected = (task, time.GetUtcNow() + FoundLifetime);
            }

            detection = _detected!.Value.Detection;
        }

        return new(detection.WaitAsync(cancellationToken));
    }

    private async Task<ResolvedRegion> DetectAsync()
    {
        var resolved = FromEnvironment() ?? await FromTableAsync().ConfigureAwait(false);
        if (resolved is null)
        {
            resolved = await FromInstanceMetadataAsync().ConfigureAwait(false);
            await PersistAsync(resolved).ConfigureAwait(false);
        }

        if (resolved.Name is null)
        {
            lock (_gate)
            {
                // "No region" is remembered for a shorter while than a found region.
                _detected = _detected is { } current ? (current.Detection, time.GetUtcNow() + NotFoundLifetime) : null;
            }
        }

        LogResolved(logger, resolved.Name ?? "(global)", resolved.Source);
        return resolved;
    }

    private ResolvedRegion? FromEnvironment()
    {
        if (AzureRegionName.Normalize(configuration["MSAL_FORCE_REGION"]) is { } forced)
        {
            return new ResolvedRegion(forced, RegionSource.ForcedByEnvironment);
        }

        return AzureRegionName.Normalize(configuration["REGION_NAME"]) is { } functions
            ? new ResolvedRegion(functions, RegionSource.FunctionsEnvironment)
            : null;
    }

    private async Task<ResolvedRegion?> FromTableAsync()
    {
        try
        {
            if (await records.ReadRegionAsync(CancellationToken.None).ConfigureAwait(false) is not { } record || record.ValidUntil <= time.GetUtcNow())
            {
                return null;
            }

            var name = AzureRegionName.Normalize(record.Region);
            return name is null ? ResolvedRegion.Global with { Source = RegionSource.Persisted } : new ResolvedRegion(name, RegionSource.Persisted);
        }
        catch (TokenCacheUnavailableException)
        {
            return null;
        }
    }

    private async Task<ResolvedRegion> FromInstanceMetadataAsync()
    {
        var settings = options.Value;
        using var timeout = new CancellationTokenSource(settings.RegionDiscoveryTimeout, time);
        try
        {
            var client = httpClients.CreateClient(EntraHttpOptions.ImdsClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get,
                "http://169.254.169.254/metadata/instance/compute/location?format=text&api-version=2021-02-01");
            request.Headers.Add("Metadata", "true");
            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode &&
                AzureRegionName.Normalize(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false)) is { } region)
            {
                return new ResolvedRegion(region, RegionSource.InstanceMetadata);
            }

            LogImdsFailed(logger, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            LogImdsFailed(logger, timeout.IsCancellationRequested ? $"no answer within {settings.RegionDiscoveryTimeout}" : ex.GetType().Name);
        }

        return ResolvedRegion.Global with { Source = RegionSource.InstanceMetadata };
    }

    private async Task PersistAsync(ResolvedRegion resolved)
    {
        try
        {
            var lifetime = resolved.Name is null ? NotFoundLifetime : FoundLifetime;
            await records.WriteRegionAsync(resolved.Name ?? "", time.GetUtcNow() + lifetime, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TokenCacheUnavailableException)
        {
            // The next instance discovers again; nothing is lost.
        }
    }

    private static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Azure region resolved: {Region} (from {Source})")]
    private static partial void LogResolved(ILogger logger, string region, RegionSource source);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Region discovery through the instance metadata service failed ({Reason}); using the global endpoint")]
    private static partial void LogImdsFailed(ILogger logger, string reason);
}
