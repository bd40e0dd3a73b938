using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using TokenFunctions;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Callers;
using TokenFunctions.Credentials;
using TokenFunctions.Functions;
using TokenFunctions.Health;
using TokenFunctions.Prewarming;
using TokenFunctions.Settings;
using TokenFunctions.Telemetry;
using TokenFunctions.Tokens;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// After the ASP.NET Core integration, so it runs inside it and its answer becomes the response.
builder.UseMiddleware<UnhandledExceptionMiddleware>();
builder.Services
    .AddTokenBroker(builder.Configuration)
    // The exporters are the host's alone: they send telemetry off the machine, so only the tests of
    // the export itself compose them (against a loopback ingestion endpoint).
    .AddFunctionsTelemetryExport(builder.Configuration);
builder.Build().Run();

namespace TokenFunctions
{
    public static class TokenBroker
    {
        /// <summary>
        /// The whole app, area by area, each <c>Add...</c> in its own folder. The tests and benchmarks
        /// compose through this same method, so what they run is what the Functions host runs.
        /// </summary>
        public static IServiceCollection AddTokenBroker(this IServiceCollection services, IConfiguration configuration)
        {
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton(configuration);
            return services
                .AddTokenTelemetry()
                .AddTokenCache(configuration)
                .AddCredentials(configuration)
                .AddAuthorities(configuration)
                .AddConfidentialClients(configuration)
                .AddCallerPolicy(configuration)
                .AddPrewarming(configuration)
                .AddHealth()
                .AddEndpoints()
                .ThrowIfAnySettingFailed();
        }
    }
}
