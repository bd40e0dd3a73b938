using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Callers;

public static class CallerPolicyServiceCollectionExtensions
{
    /// <summary>Who may ask which client for which scopes (<c>Clients__{name}__AllowedCallers__...</c>).</summary>
    public static IServiceCollection AddCallerPolicy(this IServiceCollection services) =>
        services.AddSingleton<CallerPolicy>();
}
