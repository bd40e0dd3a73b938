using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Prewarming;

public static class PrewarmingServiceCollectionExtensions
{
    /// <summary>The pre-warm run the timer triggers (<c>Prewarm__...</c>, validated at start-up).</summary>
    public static IServiceCollection AddPrewarming(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PrewarmOptions>()
            .Bind(configuration.GetSection(PrewarmOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrewarmOptions>, PrewarmOptionsAnnotations>();
        services.AddSingleton<IValidateOptions<PrewarmOptions>, PrewarmOptionsValidator>();
        services.AddSingleton<TokenPrewarmer>();
        return services;
    }
}
