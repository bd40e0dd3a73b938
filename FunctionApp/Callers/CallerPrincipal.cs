using System.Text;
using System.Text.Json;

namespace TokenFunctions.Callers;

/// <summary>
/// Who is calling, as App Service Authentication says in <c>X-MS-CLIENT-PRINCIPAL</c> (the base64 of a
/// JSON object with a <c>claims</c> array of <c>typ</c>/<c>val</c> pairs): the calling application's id
/// (<c>appid</c>, or <c>azp</c> in v2 tokens) and its object id (<c>oid</c>).
/// </summary>
public sealed record CallerPrincipal(string? ApplicationId, string? ObjectId, bool IsApplication)
{
    public const string HeaderName = "X-MS-CLIENT-PRINCIPAL";

    private const int MaxHeaderLength = 32 * 1024;
    private const string ObjectIdClaimType = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    private const string ScopeClaimType = "http://schemas.microsoft.com/identity/claims/scope";
    private const string SubjectClaimType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

    /// <summary>
    /// The principal in a header value, or null when it holds none that can be read. Whether the header
    /// can be trusted at all is the caller's question: only when the platform's authentication is on.
    /// </summary>
    public static CallerPrincipal? Parse(string? encoded)
    {
        if (encoded is not { Length: > 0 and <= MaxHeaderLength })
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            string? appId = null, azp = null, oid = null, sub = null, idtyp = null;
            var delegated = false;
            foreach (var claim in claims.EnumerateArray())
            {
                if (claim.ValueKind != JsonValueKind.Object ||
                    !claim.TryGetProperty("typ", out var type) || type.ValueKind != JsonValueKind.String ||
                    !claim.TryGetProperty("val", out var value) || value.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                switch (type.GetString())
                {
                    case "appid": appId = value.GetString(); break;
                    case "azp": azp = value.GetString(); break;
                    case "oid" or ObjectIdClaimType: oid = value.GetString(); break;
                    case "sub" or SubjectClaimType: sub = value.GetString(); break;
                    case "idtyp": idtyp = value.GetString(); break;
                    case "scp" or ScopeClaimType: delegated = true; break;
                }
            }

            // An application only on a positive signal, as Microsoft.Identity.Web decides: idtyp=app (an
            // optional claim), or an app-only token's shape — its subject is its own object id, and it
            // carries no delegated scope. A user's token without scp (roles only, or .default with
            // nothing granted) is not an application's, so it never inherits an allowed app's access.
            var isApplication = idtyp == "app" ||
                                (idtyp is null && !delegated && oid is not null && string.Equals(oid, sub, StringComparison.OrdinalIgnoreCase));
            var principal = new CallerPrincipal(appId ?? azp, oid, isApplication);
            return principal.ApplicationId is null && principal.ObjectId is null ? null : principal;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException)
        {
            return null;
        }
    }
}
