using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Credentials;

/// <summary>
/// The Azure SDK clients (the Table, Key Vault, the managed identity) take their HttpClient from the
/// factory once and hold it for the life of the process, so the factory's handler rotation never
/// reaches them and a connection would outlive a DNS change (a storage failover, a moved endpoint).
/// Their pooled connections are recycled instead, on whatever primary handler the host configures,
/// and the factory is told the handler lives as long as the process: a rotation timer would change
/// nothing for a held client but would keep its handler, and through the handler's scope the whole
/// container, alive for two minutes after the host has disposed it.
/// </summary>
public static class HeldHttpClients
{
    public static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);

    public static IHttpClientBuilder RecycleConnections(this IHttpClientBuilder builder) =>
        builder
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = ConnectionLifetime)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
}
