using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The broker's meter and activity source (<see cref="TokenTelemetry"/>); exporting them is the host's choice.</summary>
    public static IServiceCollection AddTokenTelemetry(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<TokenTelemetry>();

        // HttpClient's own start/end lines for every Table and Entra request would drown the broker's
        // one line per Entra call; the broker logs what matters itself.
        services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());
        return services;
    }
}
