using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Settings;

/// <summary>
/// Each area's settings, bound (by the configuration-binding generator) and checked while the app is
/// composed, before the host starts: a bad setting stops the start with an
/// <see cref="OptionsValidationException"/> whose messages name it, as <c>ValidateOnStart</c> would,
/// and every part gets the one checked instance as <see cref="IOptions{TOptions}"/>.
/// </summary>
/// <remarks>
/// Not <c>AddOptions().Bind().ValidateOnStart()</c>: that binds each class twice (once through
/// <c>IOptionsMonitor</c> for the check, once for <c>IOptions</c>), subscribes to configuration reloads
/// the broker has no use for (a change of app settings restarts the Functions host), and builds the
/// options framework's factories, caches and change-token sources for every class in every new
/// instance — about 110 KB and a sixth of a cold start (docs/benchmarks.md, issue 16).
/// </remarks>
public static class ValidatedOptions
{
    /// <summary>Checks <paramref name="options"/> with every validator and registers it as <see cref="IOptions{TOptions}"/>.</summary>
    /// <exception cref="OptionsValidationException">A validator failed: every failure of this class, each naming its setting.</exception>
    public static IServiceCollection AddValidatedOptions<TOptions>(
        this IServiceCollection services, TOptions options, params ReadOnlySpan<IValidateOptions<TOptions>> validators)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;
        foreach (var validator in validators)
        {
            if (validator.Validate(Options.DefaultName, options) is { Failed: true } result)
            {
                (failures ??= []).AddRange(result.Failures ?? [result.FailureMessage]);
            }
        }

        if (failures is not null)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), failures);
        }

        services.TryAddSingleton(Options.Create(options));
        return services;
    }
}
