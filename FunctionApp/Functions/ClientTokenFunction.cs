using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace TokenFunctions.Functions;

/// <summary><c>POST /api/clients/{client}/token</c>: a client-credentials token.</summary>
public sealed class ClientTokenFunction(EndpointAdmission admission, TimeProvider time)
{
    [Function("AcquireTokenForClient")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clients/{client}/token")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var admitted = await admission.AdmitTokenRequestAsync(request, client, onBehalfOf: false, cancellationToken);
        if (admitted.Refused)
        {
            return admitted.Refusal;
        }

        var result = await admitted.Client.AcquireTokenForClientAsync(admitted.Request.Scopes, admitted.Request.ClaimsChallenge, cancellationToken);
        return admitted.Answer(result, time);
    }
}
