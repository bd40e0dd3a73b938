using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Credentials;
using TokenFunctions.Health;

namespace TokenFunctions.Functions;

/// <summary>
/// <c>GET /api/health</c>: anonymous, so it says only what an operator needs — the Table, each
/// client's credential state (with the class of a failure), region and regional circuit — never a
/// secret, a token or an exception's text. 200 while the broker can serve, 503 when it cannot.
/// HEAD answers the same status without the body, for probes (such as Azure Front Door's) that use it.
/// </summary>
public sealed class HealthFunction(HealthProbe probe)
{
    [Function("Health")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await probe.CheckAsync(cancellationToken);
        var status = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        return OAuthJsonResult.Status(status, json =>
        {
            json.WriteString("status", report.Status.ToString().ToLowerInvariant());
            json.WriteStartObject("checks");
            json.WriteStartObject("table");
            json.WriteString("status", report.TableReachable ? "healthy" : "failing");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("clients");
            foreach (var client in report.Clients)
            {
                json.WriteStartObject(client.Name);
                json.WriteString("credential", client.Credential.State switch
                {
                    CredentialState.Loaded => "loaded",
                    CredentialState.Failing => "failing",
                    _ => "not_yet_needed",
                });
                if (client.Credential.FailureClass is { } failure)
                {
                    json.WriteString("failure", failure);
                }

                json.WriteString("region", client.Region);
                json.WriteString("regional_circuit", client.RegionalCircuit);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }
}
