using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace TokenFunctions.Functions;

/// <summary><c>DELETE /api/clients/{client}/tokens</c>: drop the client's app tokens everywhere.</summary>
public sealed class RemoveTokensFunction(EndpointAdmission admission)
{
    [Function("RemoveTokensForClient")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "clients/{client}/tokens")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var admitted = admission.AdmitRemoval(request, client);
        if (admitted.Refused)
        {
            return admitted.Refusal;
        }

        var error = await admitted.Client.RemoveTokensForClientAsync(cancellationToken);
        return error is null ? new NoContentResult() : OAuthJsonResult.Error(error, admitted.CorrelationId);
    }
}
