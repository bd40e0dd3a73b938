using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Settings;

namespace TokenFunctions.Tokens;

public static class ConfidentialClientsServiceCollectionExtensions
{
    /// <summary>
    /// The token core: every configured client (validated at start-up, with messages that name the
    /// setting), the MSAL applications they build, and the throttle memory they share. Needs the token
    /// cache, the credentials and the authorities registered beside it.
    /// </summary>
    public static IServiceCollection AddConfidentialClients(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound into a new instance, not with Get<T>(): on the root, Get first lists every top-level
        // setting (each of the host's app settings) only to learn that there are some.
        var options = new TokenCoreOptions();
        configuration.Bind(options);
        services.AddValidatedOptions(options, new TokenCoreOptionsValidator());
        services.AddSingleton<MsalApplicationFactory>();
        services.AddSingleton<EntraThrottle>();
        services.AddSingleton<ConfidentialClients>();
        return services;
    }
}
