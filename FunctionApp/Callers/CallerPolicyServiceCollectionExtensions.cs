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
        // Bound into a new instance, not with Get<T>(), as the token core's options are (AddConfidentialClients).
        var options = new ManagedIdentityOptions();
        configuration.Bind(options);
        services.AddValidatedOptions(options, new ManagedIdentityOptionsValidator(configuration));
        services.AddSingleton<HeaderFailureLimit>();
        services.AddSingleton<ManagedIdentityCallers>();
        return services;
    }
}
