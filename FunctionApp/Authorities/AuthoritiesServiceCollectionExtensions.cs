using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenFunctions.Settings;

namespace TokenFunctions.Authorities;

public static class AuthoritiesServiceCollectionExtensions
{
    /// <summary>
    /// How the broker reaches Entra: the time budgets (<c>Http__...</c>), MSAL's HttpClient for the
    /// global and regional endpoints with persisted instance discovery in front of it, and the
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
        // One name for the global and the regional endpoints: the handler pools connections per host
        // anyway, and every AddHttpClient call costs each new instance a little more to start.
        services.AddHttpClient(EntraHttpOptions.ClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<EntraHttpOptions>>().Value.RequestBudget)
            .AddHttpMessageHandler<InstanceDiscoveryCache>()
            .AddHttpMessageHandler<EntraAttemptTimeoutHandler>();

        // The instance-metadata client (EntraHttpOptions.ImdsClientName) needs nothing but the defaults,
        // so it is not registered: the factory serves any name.
        services.AddSingleton<RegionResolver>();
        return services;
    }
}
