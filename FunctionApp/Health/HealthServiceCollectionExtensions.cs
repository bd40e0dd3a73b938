using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Health;

public static class HealthServiceCollectionExtensions
{
    /// <summary>What <c>GET /api/health</c> reports: the Table and each client's credential, region and circuit.</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services) =>
        services.AddSingleton<HealthProbe>();
}
