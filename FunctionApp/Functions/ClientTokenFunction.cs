using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary><c>POST /api/clients/{client}/token</c>: a client-credentials token.</summary>
public sealed class ClientTokenFunction(ConfidentialClients clients, CallerPolicy callers, TimeProvider time)
{
    [Function("AcquireTokenForClient")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clients/{client}/token")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var admitted = await TokenEndpoint.AdmitAsync(request, client, clients, callers, onBehalfOf: false, cancellationToken);
        if (admitted.Refusal is { } refusal)
        {
            return refusal;
        }

        var result = await admitted.Client!.AcquireTokenForClientAsync(admitted.Request!.Scopes, admitted.Request.ClaimsChallenge, cancellationToken);
        return admitted.Answer(result, time);
    }
}
