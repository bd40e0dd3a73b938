using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Tokens;

namespace TokenFunctions.Health;

/// <summary>
/// What health reports: the Table (one cheap read, remembered for a few seconds, never a write) and
/// each client's credential, region and regional circuit. The broker can serve while at least one
/// client's credential is not failing; a Table outage alone degrades it but does not stop it.
/// </summary>
public sealed class HealthProbe
{
    private static readonly TimeSpan TableCheckLifetime = TimeSpan.FromSeconds(5);

    private readonly ConfidentialClients _clients;
    private readonly BrokerRecords _records;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (bool Reachable, DateTimeOffset Until)? _lastTableCheck;

    public HealthProbe(ConfidentialClients clients, BrokerRecords records, TimeProvider time)
    {
        _clients = clients;
        _records = records;
        _time = time;
    }

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var tableReachable = await TableReachableAsync(cancellationToken).ConfigureAwait(false);
        var clients = _clients.All
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new ClientHealth(c.Name, c.CredentialStatus, c.RegionSetting, c.RegionalCircuitState))
            .ToList();
        var canServe = clients.Count == 0 || clients.Any(c => c.Credential.State != CredentialState.Failing);
        var status = !canServe ? HealthStatus.Unhealthy
            : !tableReachable || clients.Any(c => c.Credential.State == CredentialState.Failing) ? HealthStatus.Degraded
            : HealthStatus.Healthy;
        return new HealthReport(status, tableReachable, clients);
    }

    private async Task<bool> TableReachableAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_lastTableCheck is { } last && _time.GetUtcNow() < last.Until)
            {
                return last.Reachable;
            }
        }

        bool reachable;
        try
        {
            await _records.ProbeAsync(cancellationToken).ConfigureAwait(false);
            reachable = true;
        }
        catch (TokenCacheUnavailableException)
        {
            reachable = false;
        }

        lock (_gate)
        {
            _lastTableCheck = (reachable, _time.GetUtcNow() + TableCheckLifetime);
        }

        return reachable;
    }
}
