using System.Text;
using System.Text.Json;

namespace TokenFunctions.Tests.Callers;

/// <summary>
/// <c>X-MS-CLIENT-PRINCIPAL</c> as App Service Authentication writes it: the base64 of a JSON object
/// with a <c>claims</c> array of <c>typ</c>/<c>val</c> pairs. Written from <c>appid=...;scp=...</c>.
/// </summary>
internal static class ClientPrincipalHeader
{
    public static string Encode(string principal)
    {
        if (principal == "garbage")
        {
            return "%%%not-base64%%%";
        }

        var claims = principal.Split(';').Select(c => new { typ = c.Split('=')[0], val = c.Split('=')[1] }).Append(new { typ = "ver", val = "1.0" });
        var json = JsonSerializer.Serialize(new
        {
            auth_typ = "aad",
            claims,
            name_typ = "name",
            role_typ = "roles",
        });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }
}
