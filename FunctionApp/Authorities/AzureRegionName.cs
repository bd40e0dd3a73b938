using System.Text.RegularExpressions;

namespace TokenFunctions.Authorities;

/// <summary>
/// Region names as Entra's regional hosts spell them: "East US 2" (as Functions' REGION_NAME has it)
/// and "eastus2" are the same region. Anything else is refused, so a setting can never steer the
/// broker to a host outside <c>{region}.login.microsoft.com</c>.
/// </summary>
public static partial class AzureRegionName
{
    public const string AutoDetect = "TryAutoDetect";

    public static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var compact = string.Concat(value.Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant();
        return ShortForm().IsMatch(compact) ? compact : null;
    }

    [GeneratedRegex("^[a-z][a-z0-9]{1,39}$")]
    private static partial Regex ShortForm();
}
