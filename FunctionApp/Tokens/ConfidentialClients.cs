using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Tokens;

/// <summary>
/// Every configured client (<c>Clients__{name}__...</c>), built once at start-up with no I/O and
/// reused for every call. Each client's parts are its own (its credential, circuit, caches); what they
/// share (the Table, MSAL's HttpClients, the region, the clock) comes from the container.
/// </summary>
public sealed class ConfidentialClients : IDisposable
{
    private readonly Dictionary<string, ConfidentialClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public ConfidentialClients(
        IOptions<TokenCoreOptions> options,
        CertificateSourceFactory certificates,
        ManagedIdentityAssertionFactory identityAssertions,
        MsalApplicationFactory applications,
        TokenCacheTable table,
        BrokerRecords records,
        EntraThrottle throttle,
        RegionResolver regions,
        IOptions<EntraHttpOptions> http,
        IOptions<TokenCacheOptions> cache,
        TokenTelemetry telemetry,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        foreach (var (name, settings) in options.Value.Clients)
        {
            var client = new ClientRegistration(
                name, settings, certificates.Create(name, settings.Certificate), loggers.CreateLogger($"TokenFunctions.Clients.{name}"),
                identityAssertions.Create(name, settings.ManagedIdentityAssertion, settings.Authority)
                    ?? certificates.CreateAssertionSource(name, settings.Certificate, AssertionFormat(settings)));

            // The client's own parts get the registration; what they share is this constructor's arguments.
            var requests = new MsalRequests(client, throttle, telemetry, time);
            var failover = new RegionalFailover(client, regions, requests, http, telemetry, time);
            var policy = new AcquisitionPolicy(client, throttle, http, telemetry, time);
            var removals = new ClientRemovals(records, client.AppTokenPartition, cache, time);
            _clients[name] = new ConfidentialClient(client, applications, policy, failover, requests, table, removals, telemetry, time);
        }
    }

    public IEnumerable<string> Names => _clients.Keys;

    public IEnumerable<ConfidentialClient> All => _clients.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out ConfidentialClient? client) =>
        _clients.TryGetValue(name, out client);

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            (client.CertificateSource as IDisposable)?.Dispose();
            (client.AssertionSource as IDisposable)?.Dispose();
        }
    }

    /// <summary>How the broker writes the client's assertions when it signs them itself (a key in Key Vault).</summary>
    private static CertificateAssertionFormat AssertionFormat(ConfidentialClientOptions settings) => CertificateAssertionFormat.For(
        settings.ClientId, oidcProvider: !string.IsNullOrEmpty(settings.OidcAuthority), settings.Certificate?.SendX5c ?? false, settings.ClientClaims);
}
