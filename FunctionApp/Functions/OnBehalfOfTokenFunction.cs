using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace TokenFunctions.Functions;

/// <summary><c>POST /api/clients/{client}/token/on-behalf-of</c>: exchange a user's token for a downstream API's.</summary>
public sealed class OnBehalfOfTokenFunction(EndpointAdmission admission, TimeProvider time)
{
    [Function("AcquireTokenOnBehalfOf")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clients/{client}/token/on-behalf-of")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var admitted = await admission.AdmitTokenRequestAsync(request, client, onBehalfOf: true, cancellationToken);
        if (admitted.Refused)
        {
            return admitted.Refusal;
        }

        var body = admitted.Request;
        var result = await admitted.Client.AcquireTokenOnBehalfOfAsync(body.UserAssertion!, body.Scopes, body.ClaimsChallenge, cancellationToken);
        return admitted.Answer(result, time);
    }
}
