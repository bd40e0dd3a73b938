using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary><c>DELETE /api/clients/{client}/tokens</c>: drop the client's app tokens everywhere.</summary>
public sealed class RemoveTokensFunction(ConfidentialClients clients, CallerPolicy callers)
{
    [Function("RemoveTokensForClient")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "clients/{client}/tokens")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var correlationId = CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return OAuthJsonResult.Error(TokenError.UnknownClient(client), correlationId);
        }

        // A client that restricts its callers lets only those callers clear its tokens.
        if (callers.Authorize(request, client, []) is { } refused)
        {
            return OAuthJsonResult.Error(refused, correlationId);
        }

        var error = await confidentialClient.RemoveTokensForClientAsync(cancellationToken);
        return error is null ? new NoContentResult() : OAuthJsonResult.Error(error, correlationId);
    }
}
