using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Credentials;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// <c>GET /api/health</c>: anonymous, so it says only what an operator needs — each client's
/// credential state and the class of a failure — never a secret, a token or an exception's text.
/// </summary>
public sealed class HealthFunction(ConfidentialClients clients)
{
    [Function("Health")]
    public IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        var states = clients.All.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => (c.Name, Status: c.CredentialStatus)).ToList();
        var canServe = states.Count == 0 || states.Any(s => s.Status.State != CredentialState.Failing);
        var status = !canServe ? "unhealthy" : states.Any(s => s.Status.State == CredentialState.Failing) ? "degraded" : "healthy";
        return OAuthJsonResult.Status(canServe ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, json =>
        {
            json.WriteString("status", status);
            json.WriteStartObject("clients");
            foreach (var (name, credential) in states)
            {
                json.WriteStartObject(name);
                json.WriteString("credential", credential.State switch
                {
                    CredentialState.Loaded => "loaded",
                    CredentialState.Failing => "failing",
                    _ => "not_yet_needed",
                });
                if (credential.FailureClass is { } failure)
                {
                    json.WriteString("failure", failure);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }
}
