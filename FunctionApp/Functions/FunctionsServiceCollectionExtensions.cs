using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TokenFunctions.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>What the HTTP endpoints need beyond the core: the caller the platform vouches for, and admission.</summary>
    public static IServiceCollection AddEndpoints(this IServiceCollection services)
    {
        services.AddSingleton<AppServiceAuthentication>();
        services.AddSingleton<EndpointAdmission>();
        return services;
    }

    /// <summary>Application Insights, only when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set.</summary>
    public static IServiceCollection AddApplicationInsightsWhenConfigured(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            return services;
        }

        // The broker's volume is small (a line per Entra call, warnings, errors): keep every item
        // rather than let adaptive sampling drop a failure an on-call engineer is looking for.
        services
            .AddApplicationInsightsTelemetryWorkerService(options => options.EnableAdaptiveSampling = false)
            .ConfigureFunctionsApplicationInsights();

        // The Application Insights provider adds a Warning-only rule of its own; host.json's levels apply instead.
        services.Configure<LoggerFilterOptions>(options =>
        {
            var rule = options.Rules.FirstOrDefault(r =>
                r.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
            if (rule is not null)
            {
                options.Rules.Remove(rule);
            }
        });
        return services;
    }
}
