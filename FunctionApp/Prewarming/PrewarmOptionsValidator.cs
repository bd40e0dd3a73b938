using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using TokenFunctions.Tokens;

namespace TokenFunctions.Prewarming;

/// <summary>A pre-warm configuration that could only fail at the first run stops the app at start instead.</summary>
public sealed partial class PrewarmOptionsValidator(IConfiguration configuration) : IValidateOptions<PrewarmOptions>
{
    public ValidateOptionsResult Validate(string? name, PrewarmOptions options)
    {
        var failures = new List<string>();
        if (options.Schedule is { Length: > 0 } schedule && !IsNcrontab(schedule))
        {
            failures.Add($"Prewarm__Schedule '{schedule}' is not a six-field NCRONTAB expression such as '0 */5 * * * *'.");
        }

        if (options.Targets.Count > 0 && string.IsNullOrWhiteSpace(options.Schedule))
        {
            failures.Add("Prewarm__Schedule is required when Prewarm__Targets are configured (for example '0 */5 * * * *').");
        }

        // Client names straight from configuration, so a bad client setting is reported once, by its own
        // validator; listed only when there are targets to check.
        var clients = options.Targets.Count == 0 ? [] : configuration.GetSection("Clients").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Targets.Count; i++)
        {
            var target = options.Targets[i];
            if (!clients.Contains(target.Client))
            {
                failures.Add($"Prewarm__Targets__{i}__Client '{target.Client}' is not a configured client (Clients__{{name}}__...).");
            }

            if (target.Scopes.Count == 0 || !target.Scopes.All(s => s is not null && ScopeSet.IsValid(s)))
            {
                failures.Add($"Prewarm__Targets__{i}__Scopes needs at least one scope, each printable ASCII other than space, '\"' and '\\' (RFC 6749).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsNcrontab(string schedule)
    {
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length == 6 && fields.All(f => Field().IsMatch(f));
    }

    [GeneratedRegex(@"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$|^[A-Za-z]{3}(-[A-Za-z]{3})?$")]
    private static partial Regex Field();
}
