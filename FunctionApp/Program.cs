using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TokenFunctions.Tokens;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services.AddTokenCore(builder.Configuration);

// HttpClient's own start/end lines for every Table and Entra request would drown the broker's
// one line per Entra call; the broker logs what matters itself.
builder.Services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());

if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    // The broker's volume is small (a line per Entra call, warnings, errors): keep every item
    // rather than let adaptive sampling drop a failure an on-call engineer is looking for.
    builder.Services
        .AddApplicationInsightsTelemetryWorkerService(options => options.EnableAdaptiveSampling = false)
        .ConfigureFunctionsApplicationInsights();

    // The Application Insights provider adds a Warning-only rule of its own; host.json's levels apply instead.
    builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
    {
        var rule = options.Rules.FirstOrDefault(r =>
            r.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
        if (rule is not null)
        {
            options.Rules.Remove(rule);
        }
    });
}

builder.Build().Run();
