using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Settings;

/// <summary>
/// Each area's settings, bound (by the configuration-binding generator) and checked while the app is
/// composed, before the host starts: every part gets the one checked instance as
/// <see cref="IOptions{TOptions}"/>, and bad settings stop the start — all of them at once, when the
/// composition ends (<see cref="ThrowIfAnySettingFailed"/>), as <c>ValidateOnStart</c> reports them:
/// one <see cref="OptionsValidationException"/> whose messages name each setting, or an
/// <see cref="AggregateException"/> of one per options class.
/// </summary>
/// <remarks>
/// Not <c>AddOptions().Bind().ValidateOnStart()</c>: that binds each class twice (once through
/// <c>IOptionsMonitor</c> for the check, once for <c>IOptions</c>), subscribes to configuration reloads
/// the broker has no use for (a change of app settings restarts the Functions host), and builds the
/// options framework's factories, caches and change-token sources for every class in every new
/// instance — about 110 KB and a sixth of a cold start (docs/benchmarks.md, issue 16). So these
/// classes have no <c>IOptionsMonitor</c> and take no later <c>Configure</c>: nothing in the broker
/// asks for either.
/// </remarks>
public static class ValidatedOptions
{
    /// <summary>
    /// Checks <paramref name="options"/> with every validator and registers it as <see cref="IOptions{TOptions}"/>;
    /// what fails is kept for <see cref="ThrowIfAnySettingFailed"/>.
    /// </summary>
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
            FailedSettings.Of(services).Add(new OptionsValidationException(Options.DefaultName, typeof(TOptions), failures));
            return services;
        }

        services.TryAddSingleton(Options.Create(options));
        return services;
    }

    /// <summary>Ends a composition: throws what every <see cref="AddValidatedOptions"/> call before it found.</summary>
    /// <exception cref="OptionsValidationException">One options class failed: each of its failures, naming its setting.</exception>
    /// <exception cref="AggregateException">Several did: one <see cref="OptionsValidationException"/> each.</exception>
    public static IServiceCollection ThrowIfAnySettingFailed(this IServiceCollection services)
    {
        if (FailedSettings.Take(services) is { Count: > 0 } failed)
        {
            throw failed.Count == 1 ? failed[0] : new AggregateException(failed);
        }

        return services;
    }

    /// <summary>
    /// The failures found so far, kept in the collection itself (the way the HttpClient factory keeps
    /// its registry) so that the areas, composed one by one, need not pass them along.
    /// </summary>
    private sealed class FailedSettings : List<OptionsValidationException>
    {
        public static FailedSettings Of(IServiceCollection services)
        {
            if (services.FirstOrDefault(d => d.ServiceType == typeof(FailedSettings))?.ImplementationInstance is FailedSettings failed)
            {
                return failed;
            }

            failed = [];
            services.AddSingleton(failed);
            return failed;
        }

        public static FailedSettings? Take(IServiceCollection services)
        {
            var descriptor = services.FirstOrDefault(d => d.ServiceType == typeof(FailedSettings));
            if (descriptor is not null)
            {
                services.Remove(descriptor);
            }

            return descriptor?.ImplementationInstance as FailedSettings;
        }
    }
}
