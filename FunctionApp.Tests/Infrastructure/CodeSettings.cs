using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using TokenFunctions.Callers;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tokens;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>One setting the app (or its host) reads; <c>{key}</c> and <c>{i}</c> stand for a name and an index.</summary>
internal sealed partial record SettingPattern(string Name, string Origin)
{
    private readonly Regex _regex = new(
        "^" + Regex.Escape(Name).Replace(@"\{key}", "[A-Za-z0-9_-]+?", StringComparison.Ordinal).Replace(@"\{i}", "[0-9]+", StringComparison.Ordinal) + "$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public bool Matches(string setting) => _regex.IsMatch(setting);

    public bool IsScalar => !Name.Contains('{', StringComparison.Ordinal);
}

/// <summary>
/// Every setting the code reads, found in the code itself: the options types bound from configuration
/// (reflected: <see cref="TokenCoreOptions"/> and <see cref="ManagedIdentityOptions"/> at the root and every type with a <c>SectionName</c>),
/// the <c>*SettingName</c> constants, the names FunctionApp/ reads as <c>configuration["..."]</c>, and
/// the <c>%...%</c> binding expressions of its triggers. Beside them, the few the Functions host
/// reads, and the pre-warm settings that are still being added in parallel.
/// </summary>
internal static partial class CodeSettings
{
    /// <summary>Read by the Functions host (and the Application Insights SDK), not by the app's code.</summary>
    public static readonly IReadOnlyList<SettingPattern> HostSettings =
    [
        new("FUNCTIONS_WORKER_RUNTIME", "host: worker runtime (local only; Flex Consumption takes it from functionAppConfig)"),
        new("AzureWebJobsStorage__credential", "host: identity-based host storage"),
        new("APPLICATIONINSIGHTS_CONNECTION_STRING", "host: Application Insights"),
        new("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "host: Entra authentication of Application Insights"),
    ];

    private static readonly Assembly App = typeof(TokenCoreOptions).Assembly;

    /// <summary>Options sections: SectionName -> type.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = App.GetTypes()
        .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
        .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary><c>%Section:Name%</c> in FunctionApp's trigger attributes: the host cannot index the function without them.</summary>
    public static IReadOnlyList<string> BindingExpressions { get; } = SourceMatches(BindingExpression());

    public static IReadOnlyList<SettingPattern> Known { get; } = BuildKnown();

    public static bool IsKnown(string setting) => Known.Any(k => k.Matches(setting));

    private static List<SettingPattern> BuildKnown()
    {
        var known = new List<SettingPattern>();
        known.AddRange(Paths(typeof(TokenCoreOptions), "").Select(p => new SettingPattern(p, nameof(TokenCoreOptions))));
        known.AddRange(Paths(typeof(ManagedIdentityOptions), "").Select(p => new SettingPattern(p, nameof(ManagedIdentityOptions))));
        foreach (var (section, type) in Sections)
        {
            known.AddRange(Paths(type, section + "__").Select(p => new SettingPattern(p, type.Name)));
        }

        known.AddRange(App.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string) && f.Name.EndsWith("SettingName", StringComparison.Ordinal))
            .Select(f => new SettingPattern(Environment((string)f.GetRawConstantValue()!), $"{f.DeclaringType!.Name}.{f.Name}")));
        known.AddRange(SourceMatches(ConfigurationIndexer()).Select(n => new SettingPattern(n, "configuration[\"...\"] in FunctionApp/")));
        known.AddRange(BindingExpressions.Select(n => new SettingPattern(n, "binding expression in FunctionApp/")));
        known.AddRange(HostSettings);

        return known;
    }

    /// <summary>The setting paths the configuration binder reads for a type, as environment variables.</summary>
    public static IEnumerable<string> Paths(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            foreach (var path in ValuePaths(property.PropertyType, prefix + property.Name))
            {
                yield return path;
            }
        }
    }

    private static IEnumerable<string> ValuePaths(Type type, string path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            return [path];
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return ValuePaths(type.GetGenericArguments()[1], path + "__{key}");
        }

        if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            return ValuePaths(element, path + "__{i}");
        }

        return Paths(type, path + "__");
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(Uri) ||
        type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(Guid);

    private static string Environment(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    private static List<string> SourceMatches(Regex pattern)
    {
        var root = Path.Combine(RepositoryRoot.FullPath, "FunctionApp");
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => pattern.Matches(File.ReadAllText(f)).Select(m => Environment(m.Groups[1].Value)))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex(@"configuration\[\s*""([^""]+)""\s*\]")]
    private static partial Regex ConfigurationIndexer();

    [GeneratedRegex(@"""%([A-Za-z0-9_:]+)%""")]
    private static partial Regex BindingExpression();
}
