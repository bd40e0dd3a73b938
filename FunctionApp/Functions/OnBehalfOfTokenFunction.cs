using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary><c>POST /api/clients/{client}/token/on-behalf-of</c>: exchange a user's token for a downstream API's.</summary>
public sealed class OnBehalfOfTokenFunction(ConfidentialClients clients, CallerPolicy callers, TimeProvider time)
{
    [Function("AcquireTokenOnBehalfOf")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clients/{client}/token/on-behalf-of")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var admitted = await TokenEndpoint.AdmitAsync(request, client, clients, callers, onBehalfOf: true, cancellationToken);
        if (admitted.Refusal is { } refusal)
        {
            return refusal;
        }

        var body = admitted.Request!;
        var result = await admitted.Client!.AcquireTokenOnBehalfOfAsync(body.UserAssertion!, body.Scopes, body.ClaimsChallenge, cancellationToken);
        return admitted.Answer(result, time);
    }
}
