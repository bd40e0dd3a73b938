using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using TokenFunctions.Callers;

namespace TokenFunctions.Functions;

/// <summary>
/// Who App Service Authentication says is calling. When the platform's authentication fronts the app
/// it sets <c>WEBSITE_AUTH_ENABLED=True</c> and puts the caller's principal in
/// <c>X-MS-CLIENT-PRINCIPAL</c>; only then is the header the platform's. Otherwise anyone could have
/// sent it, and it is ignored.
/// </summary>
public sealed class AppServiceAuthentication(IConfiguration configuration)
{
    private readonly bool _enabled = string.Equals(configuration["WEBSITE_AUTH_ENABLED"], "True", StringComparison.OrdinalIgnoreCase);

    /// <summary>The caller the platform vouches for, or null.</summary>
    public CallerPrincipal? CallerOf(HttpRequest request) =>
        _enabled ? CallerPrincipal.Parse(request.Headers[CallerPrincipal.HeaderName].ToString()) : null;
}
