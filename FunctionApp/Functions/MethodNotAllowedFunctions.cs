using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace TokenFunctions.Functions;

/// <summary>
/// Every other standard method on each route: 405 with <c>Allow</c> and the contract's JSON, where the
/// host would answer an empty 404. The host maps one route to several functions when their methods do
/// not overlap, so these sit beside the real endpoints without touching them. Each keeps its route's
/// auth level: a caller without a function key learns nothing here it could not learn before.
/// Methods outside this list (CONNECT, made-up ones) still get the host's 404.
/// </summary>
public static class MethodNotAllowedFunctions
{
    [Function("AcquireTokenForClientMethodNotAllowed")]
    public static IActionResult TokenForClient(
        [HttpTrigger(AuthorizationLevel.Function, "get", "head", "put", "patch", "delete", "options", "trace", Route = "clients/{client}/token")] HttpRequest request) =>
        Refuse(request, "POST");

    [Function("AcquireTokenOnBehalfOfMethodNotAllowed")]
    public static IActionResult TokenOnBehalfOf(
        [HttpTrigger(AuthorizationLevel.Function, "get", "head", "put", "patch", "delete", "options", "trace", Route = "clients/{client}/token/on-behalf-of")] HttpRequest request) =>
        Refuse(request, "POST");

    [Function("RemoveTokensForClientMethodNotAllowed")]
    public static IActionResult RemoveTokens(
        [HttpTrigger(AuthorizationLevel.Function, "get", "head", "post", "put", "patch", "options", "trace", Route = "clients/{client}/tokens")] HttpRequest request) =>
        Refuse(request, "DELETE");

    [Function("AcquireTokenForManagedIdentityMethodNotAllowed")]
    public static IActionResult TokenForManagedIdentity(
        [HttpTrigger(AuthorizationLevel.Anonymous, "head", "post", "put", "patch", "delete", "options", "trace", Route = "clients/{client}/managed-identity/token")] HttpRequest request) =>
        Refuse(request, "GET");

    [Function("HealthMethodNotAllowed")]
    public static IActionResult Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "put", "patch", "delete", "options", "trace", Route = "health")] HttpRequest request) =>
        Refuse(request, "GET", "HEAD");

    private static OAuthJsonResult Refuse(HttpRequest request, params string[] allowed) =>
        OAuthJsonResult.MethodNotAllowed(allowed, CorrelationId.For(request));
}
