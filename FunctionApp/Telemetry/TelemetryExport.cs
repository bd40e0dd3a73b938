using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TokenFunctions.Telemetry;

/// <summary>
/// Sends the broker's logs, meter and activity source (with HTTP client activity) off the machine
/// through OpenTelemetry: to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, to
/// an OTLP endpoint when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is, to both when both are. With neither,
/// nothing is registered: no provider, no exporter, no listener, so a cold start pays nothing for it.
/// </summary>
public static class TelemetryExport
{
    public const string ConnectionStringSettingName = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string OtlpEndpointSettingName = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The exporter's HttpClient, from the factory so that its handler is configured like every other.</summary>
    public const string HttpClientName = "AzureMonitor";

    /// <param name="host">What the hosting environment adds (its own activity sources and resource attributes).</param>
    public static IServiceCollection AddTelemetryExport(this IServiceCollection services, IConfiguration configuration, Action<IOpenTelemetryBuilder>? host = null)
    {
        var azureMonitor = !string.IsNullOrWhiteSpace(configuration[ConnectionStringSettingName]);
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSettingName]);
        if (!azureMonitor && !otlp)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(TokenTelemetry.Name).AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics.AddMeter(TokenTelemetry.Name))
            .WithLogging();
        host?.Invoke(telemetry);

        if (azureMonitor)
        {
            telemetry.UseAzureMonitorExporter();
            ConfigureAzureMonitor(services);
        }

        if (otlp)
        {
            // It reads OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL and _HEADERS from the app's configuration.
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    private static void ConfigureAzureMonitor(IServiceCollection services)
    {
        // The exporter holds its HttpClient for the life of the process: the same settings as
        // Credentials/HeldHttpClients gives the broker's held clients (Telemetry, a leaf, cannot call it):
        // pooled connections recycled to follow DNS changes of the ingestion endpoint, and no handler
        // rotation (it would never reach the held client; its timer would keep a disposed container
        // alive for two minutes).
        services.AddHttpClient(HttpClientName)
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential, IHttpClientFactory>((options, credential, http) =>
        {
            // The component accepts only Entra-authenticated telemetry (local auth is off): the broker's
            // own identity, the one it uses for Key Vault and the Table.
            options.Credential = credential;
            options.Transport = new HttpClientTransport(http.CreateClient(HttpClientName));

            // Every trace and every log line is kept. The exporter's default (5 traces a second) and the
            // logs that follow a sampled-out trace would drop failures at random, and a failure is what
            // on-call searches for; the broker's volume is small (a few spans per token request that
            // misses the front cache, one log line per Entra call).
            options.SamplingRatio = 1.0f;
            options.TracesPerSecond = null;
            options.EnableTraceBasedLogsSampler = false;

            // Live Metrics polls its own endpoint from every instance for as long as it runs; the
            // workbook and the alert rules (infra/) are how this app is watched.
            options.EnableLiveMetrics = false;
        });
    }
}
