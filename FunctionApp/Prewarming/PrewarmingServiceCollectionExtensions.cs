using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Settings;

namespace TokenFunctions.Prewarming;

public static class PrewarmingServiceCollectionExtensions
{
    /// <summary>The pre-warm run the timer triggers (<c>Prewarm__...</c>, validated at start-up).</summary>
    public static IServiceCollection AddPrewarming(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions(
            configuration.GetSection(PrewarmOptions.SectionName).Get<PrewarmOptions>() ?? new(),
            new PrewarmOptionsAnnotations(), new PrewarmOptionsValidator(configuration));
        services.AddSingleton<TokenPrewarmer>();
        return services;
    }
}
