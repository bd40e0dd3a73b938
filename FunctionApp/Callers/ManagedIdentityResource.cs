using TokenFunctions.Tokens;

namespace TokenFunctions.Callers;

/// <summary>
/// A resource as the managed-identity protocol names it, and the scope the broker asks Entra for: the
/// resource with <c>/.default</c> appended, verbatim, as the Azure SDKs do in reverse. So
/// <c>api://x</c> through this protocol and <c>api://x/.default</c> through the JSON API are one
/// request, served from one cache entry; a trailing slash is kept (<c>https://management.azure.com/</c>
/// asks for <c>https://management.azure.com//.default</c>, whose tokens carry that audience).
/// </summary>
public static class ManagedIdentityResource
{
    public const string DefaultSuffix = "/.default";

    public static string ScopeOf(string resource) => resource + DefaultSuffix;

    /// <summary>Why <paramref name="resource"/> is not a resource, or null when it is one.</summary>
    public static string? Problem(string? resource)
    {
        if (string.IsNullOrEmpty(resource))
        {
            return "a resource is required.";
        }

        if (resource.EndsWith(DefaultSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return $"'{Printable(resource)}' is a scope; name the resource without '{DefaultSuffix}'.";
        }

        return ScopeSet.IsValid(ScopeOf(resource))
            ? null
            : $"'{Printable(resource)}' is not a resource (one scope-token: printable ASCII other than space, '\"' and '\\').";
    }

    // The value came from the caller: keep control characters out of a message that may reach a log.
    private static string Printable(string value) =>
        new(value.Take(200).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
