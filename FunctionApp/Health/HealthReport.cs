using TokenFunctions.Credentials;

namespace TokenFunctions.Health;

public enum HealthStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>Health as reported: nothing here may be secret.</summary>
public sealed record HealthReport(HealthStatus Status, bool TableReachable, IReadOnlyList<ClientHealth> Clients);

public sealed record ClientHealth(string Name, CredentialStatus Credential, string Region, string RegionalCircuit);
