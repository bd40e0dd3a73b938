using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenFunctions.Settings;

namespace TokenFunctions.Authorities;

public static class AuthoritiesServiceCollectionExtensions
{
    /// <summary>
    /// How the broker reaches Entra: the time budgets (<c>Http__...</c>), MSAL's HttpClients for the
    /// global and regional endpoints with persisted instance discovery in front of them, and the
    /// region resolver with its instance-metadata client.
    /// </summary>
    public static IServiceCollection AddAuthorities(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions(
            configuration.GetSection(EntraHttpOptions.SectionName).Get<EntraHttpOptions>() ?? new(), new EntraHttpOptionsAnnotations());

        // Attempt timeouts are enforced per attempt by the core; HttpClient's own timeout is only a backstop.
        // MSAL asks for its HttpClient on every request, so the factory's handler rotation keeps its
        // connections young (unlike the Azure SDK clients, see HeldHttpClients).
        services.AddTransient<InstanceDiscoveryCache>();
        services.AddTransient<EntraAttemptTimeoutHandler>();
        foreach (var name in new[] { EntraHttpOptions.ClientName, EntraHttpOptions.RegionalClientName })
        {
            services.AddHttpClient(name)
                .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<EntraHttpOptions>>().Value.RequestBudget)
                .AddHttpMessageHandler<InstanceDiscoveryCache>()
                .AddHttpMessageHandler<EntraAttemptTimeoutHandler>();
        }

        services.AddHttpClient(EntraHttpOptions.ImdsClientName);
        services.AddSingleton<RegionResolver>();
        return services;
    }
}
