using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Caching;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Authorities;

/// <summary>
/// Finds the Azure region for <c>AzureRegion = TryAutoDetect</c>, cheapest source first:
/// <c>MSAL_FORCE_REGION</c>, <c>REGION_NAME</c> (Azure Functions sets it), the outcome an earlier
/// instance persisted in the Table, and last the instance metadata service with a short timeout.
/// An answer — a region, or IMDS saying this host has none — is persisted, so the next cold start does
/// no discovery; a detection that got no answer (IMDS timed out, could not be reached, or said "not
/// now") is not an answer: the client uses the global endpoint, and this instance tries again after a
/// back-off, without telling the others. The resolved name is handed to MSAL, so MSAL never probes
/// IMDS itself.
/// </summary>
public sealed partial class RegionResolver(
    IConfiguration configuration,
    BrokerRecords records,
    IHttpClientFactory httpClients,
    IOptions<EntraHttpOptions> options,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private static readonly TimeSpan FoundLifetime = TimeSpan.FromHours(24);
    private static readonly TimeSpan NotFoundLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(30);

    private readonly Lock _gate = new();
    private readonly DeferredLogger<RegionResolver> _logger = new(loggers);
    private Task<Detection>? _detection;

    // Detections in a row that got no answer; touched only by the one detection under way.
    private int _unanswered;

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

        Task<Detection> detection;
        lock (_gate)
        {
            if (_detection is not { } current || current.IsFaulted || (current.IsCompletedSuccessfully && time.GetUtcNow() >= current.Result.Until))
            {
                // Shared by every client and request of this process; done again when its outcome ages out.
                _detection = DetectAsync();
            }

            detection = _detection;
        }

        return detection.IsCompletedSuccessfully ? ValueTask.FromResult(detection.Result.Region) : AwaitAsync(detection, cancellationToken);
    }

    private static async ValueTask<ResolvedRegion> AwaitAsync(Task<Detection> detection, CancellationToken cancellationToken) =>
        (await detection.WaitAsync(cancellationToken).ConfigureAwait(false)).Region;

    private async Task<Detection> DetectAsync()
    {
        var resolved = FromEnvironment() ?? await FromTableAsync().ConfigureAwait(false);
        if (resolved is null)
        {
            var (answer, failure) = await FromInstanceMetadataAsync().ConfigureAwait(false);
            if (answer is null)
            {
                var retryIn = RetryDelay(++_unanswered);
                LogImdsFailed(_logger, failure, retryIn);
                return new Detection(NoRegion, time.GetUtcNow() + retryIn);
            }

            resolved = answer;
            await PersistAsync(resolved).ConfigureAwait(false);
        }

        _unanswered = 0;
        LogResolved(_logger, resolved.Name ?? "(global)", resolved.Source);

        // "No region" is remembered for a shorter while than a found region.
        return new Detection(resolved, time.GetUtcNow() + (resolved.Name is null ? NotFoundLifetime : FoundLifetime));
    }

    /// <summary>One minute after the first unanswered detection, doubling each time, at most <see cref="MaxRetry"/>.</summary>
    private static TimeSpan RetryDelay(int unanswered) =>
        TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(unanswered - 1, 5)));

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

    /// <summary>
    /// What IMDS says: a region, or none (it answered, but names no region: 404 on a host without compute
    /// metadata, or a name that is not a region). No answer, and why, when it did not say: a timeout, a
    /// connection failure, or any other status (500, 429, 410: IMDS's "try again later").
    /// </summary>
    private async Task<(ResolvedRegion? Answer, string Failure)> FromInstanceMetadataAsync()
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
            if (response.IsSuccessStatusCode)
            {
                var region = AzureRegionName.Normalize(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
                return (region is null ? NoRegion : new ResolvedRegion(region, RegionSource.InstanceMetadata), "");
            }

            return response.StatusCode == HttpStatusCode.NotFound ? (NoRegion, "") : (null, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex)
        {
            // Whatever went wrong, IMDS said nothing about the region.
            return (null, timeout.IsCancellationRequested ? $"no answer within {settings.RegionDiscoveryTimeout}" : ex.GetType().Name);
        }
    }

    private static ResolvedRegion NoRegion => ResolvedRegion.Global with { Source = RegionSource.InstanceMetadata };

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

    /// <summary>A detection's outcome, and until when this process relies on it.</summary>
    private sealed record Detection(ResolvedRegion Region, DateTimeOffset Until);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Azure region resolved: {Region} (from {Source})")]
    private static partial void LogResolved(ILogger logger, string region, RegionSource source);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "Region discovery through the instance metadata service failed ({Reason}); using the global endpoint, asking again in {RetryIn}")]
    private static partial void LogImdsFailed(ILogger logger, string reason, TimeSpan retryIn);
}
