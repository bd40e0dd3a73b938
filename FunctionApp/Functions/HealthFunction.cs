using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary><c>GET /api/health</c>: anonymous, and reveals nothing but client names.</summary>
public sealed class HealthFunction(ConfidentialClients clients)
{
    [Function("Health")]
    public IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        OAuthJsonResult.Status(StatusCodes.Status200OK, json =>
        {
            json.WriteString("status", "healthy");
            json.WriteStartArray("clients");
            foreach (var name in clients.Names.Order(StringComparer.Ordinal))
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
        });
}
