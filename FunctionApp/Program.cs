using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TokenFunctions.Tokens;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services.AddTokenCore(builder.Configuration);

// HttpClient's own start/end lines for every Table and Entra request would drown the broker's
// one line per Entra call; the broker logs what matters itself.
builder.Services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());

if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    builder.Services
        .AddApplicationInsightsTelemetryWorkerService()
        .ConfigureFunctionsApplicationInsights();
}

builder.Build().Run();
