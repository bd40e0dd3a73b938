using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Settings;

namespace TokenFunctions.Callers;

public static class CallerPolicyServiceCollectionExtensions
{
    /// <summary>
    /// Who may ask which client for which scopes (<c>Clients__{name}__AllowedCallers__...</c>), and who
    /// may call its managed-identity endpoint (<c>Clients__{name}__ManagedIdentityCallers__...</c>,
    /// validated at start-up).
    /// </summary>
    public static IServiceCollection AddCallerPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CallerPolicy>();
        services.AddValidatedOptions(configuration.Get<ManagedIdentityOptions>() ?? new(), new ManagedIdentityOptionsValidator(configuration));
        services.AddSingleton<HeaderFailureLimit>();
        services.AddSingleton<ManagedIdentityCallers>();
        return services;
    }
}
