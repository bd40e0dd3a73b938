namespace TokenFunctions.Authorities;

/// <summary>The tenant segment of an authority URL, which keys the cache together with the client.</summary>
public static class AuthorityTenant
{
    public static string Of(string authority)
    {
        var uri = new Uri(authority, UriKind.Absolute);
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length > 0 ? segments[0].ToLowerInvariant() : "common";
    }
}
