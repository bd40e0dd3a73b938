using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using TokenFunctions.Caching;

namespace TokenFunctions.Authorities;

/// <summary>
/// A persisted HTTP cache for the one response it is safe to keep: Entra's instance
/// discovery metadata (public, the same for every tenant, stable for days). Sits in front of MSAL's
/// HttpClient: the first instance's answer is kept in memory and in the Table, and MSAL on a new
/// instance gets it from there instead of from Entra. It is consulted only when MSAL asks for
/// discovery, which happens only when MSAL must call Entra anyway, so a cache hit never pays for it.
/// </summary>
public sealed partial class InstanceDiscoveryCache(BrokerRecords records, TimeProvider time, ILogger<InstanceDiscoveryCache> logger) : DelegatingHandler
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri is not { AbsolutePath: "/common/discovery/instance" } uri)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var row = "discovery-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(uri.Host + uri.Query)).AsSpan(0, 16));
        if (await ReadAsync(row, cancellationToken).ConfigureAwait(false) is { } body)
        {
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request };
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            await PersistAsync(row, answer).ConfigureAwait(false);
            response.Content = new StringContent(answer, Encoding.UTF8, "application/json");
        }

        return response;
    }

    private async Task<string?> ReadAsync(string row, CancellationToken cancellationToken)
    {
        try
        {
            // Sealed: MSAL sends credentials to the host this metadata names, so only the broker's own
            // answer is trusted, never something else written into the Table.
            if (await records.ReadSealedAsync(BrokerRecords.BrokerRecord(row), cancellationToken).ConfigureAwait(false) is not { } payload)
            {
                return null;
            }

            var record = JsonSerializer.Deserialize(payload, DiscoveryJson.Default.PersistedDiscovery);
            return record is not null && record.ValidUntil > time.GetUtcNow() ? record.Body : null;
        }
        catch (TokenCacheUnavailableException)
        {
            return null;
        }
    }

    private async Task PersistAsync(string row, string body)
    {
        try
        {
            var validUntil = time.GetUtcNow() + Lifetime;
            var payload = JsonSerializer.SerializeToUtf8Bytes(new PersistedDiscovery(body, validUntil), DiscoveryJson.Default.PersistedDiscovery);
            await records.WriteSealedAsync(BrokerRecords.BrokerRecord(row), payload, validUntil, CancellationToken.None).ConfigureAwait(false);
            LogPersisted(logger);
        }
        catch (TokenCacheUnavailableException)
        {
            // The next instance asks Entra again.
        }
    }

    private sealed record PersistedDiscovery(string Body, DateTimeOffset ValidUntil);

    // Generated, not reflected: the record's shape is known at build time (and the same as before).
    [JsonSerializable(typeof(PersistedDiscovery))]
    private sealed partial class DiscoveryJson : JsonSerializerContext;

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Instance discovery metadata persisted for the next instances")]
    private static partial void LogPersisted(ILogger logger);
}
