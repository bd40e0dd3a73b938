using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// The query of a managed-identity token request, read as the clients write it: MSAL and the Azure
/// SDKs append their parameters to whatever query the endpoint URL already holds (so a second <c>?</c>
/// may appear), and do not always percent-encode values. So the query is split on both <c>&amp;</c>
/// and <c>?</c>, names compare case-insensitively, values are percent-decoded without turning
/// <c>+</c> into a space (no resource holds a space), and a parameter given twice must agree.
/// </summary>
public sealed record ManagedIdentityQuery(string Resource, string? ClientId, string? OtherSelector)
{
    public const string ApiVersion = "2019-08-01";

    private const int MaxLength = 8 * 1024;

    /// <summary>The selectors that name a user-assigned identity other than by its client id.</summary>
    private static readonly string[] OtherSelectors = ["object_id", "principal_id", "mi_res_id", "msi_res_id"];

    public static (ManagedIdentityQuery? Query, TokenError? Error) Parse(string? rawQuery)
    {
        if (rawQuery is { Length: > MaxLength })
        {
            return (null, TokenError.InvalidRequest($"The query is over {MaxLength} characters."));
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in (rawQuery ?? "").Split(['?', '&'], StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (values.TryGetValue(name, out var earlier) && earlier != value)
            {
                return (null, TokenError.InvalidRequest($"The query gives '{Printable(name)}' twice with different values."));
            }

            values[name] = value;
        }

        if (!values.TryGetValue("api-version", out var version) || version.Length == 0)
        {
            return (null, TokenError.InvalidRequest($"api-version is required; this endpoint speaks api-version={ApiVersion}."));
        }

        if (version != ApiVersion)
        {
            return (null, TokenError.InvalidRequest($"api-version '{Printable(version)}' is not supported; this endpoint speaks api-version={ApiVersion}."));
        }

        values.TryGetValue("resource", out var resource);
        if (ManagedIdentityResource.Problem(resource) is { } problem)
        {
            return (null, TokenError.InvalidRequest($"resource: {problem}"));
        }

        var other = OtherSelectors.FirstOrDefault(s => values.TryGetValue(s, out var v) && v.Length > 0);
        var clientId = values.TryGetValue("client_id", out var id) && id.Length > 0 ? id : null;
        return (new ManagedIdentityQuery(resource!, clientId, other), null);
    }

    // Values came from the caller: keep control characters and length out of what is echoed back.
    private static string Printable(string value) =>
        new(value.Take(100).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
