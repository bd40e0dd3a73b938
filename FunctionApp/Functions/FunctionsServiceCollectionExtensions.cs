using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TokenFunctions.Telemetry;

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

    /// <summary>
    /// <see cref="TelemetryExport"/> as the Functions worker needs it: the worker's invocation activity
    /// and resource attributes, and ASP.NET Core's request activity, so that the worker's telemetry joins
    /// the host's (<c>"telemetryMode": "OpenTelemetry"</c> in host.json) in one trace.
    /// </summary>
    public static IServiceCollection AddFunctionsTelemetryExport(this IServiceCollection services, IConfiguration configuration) =>
        services.AddTelemetryExport(configuration, telemetry => telemetry
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation()));
}
