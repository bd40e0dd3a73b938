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
        var correlationId = CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return OAuthJsonResult.Error(TokenError.UnknownClient(client), correlationId);
        }

        var parsed = await TokenRequest.ParseAsync(request, cancellationToken, onBehalfOf: true);
        if (parsed.Error is { } invalid)
        {
            return OAuthJsonResult.Error(invalid, correlationId);
        }

        if (callers.Authorize(request, client, parsed.Request!.Scopes) is { } refused)
        {
            return OAuthJsonResult.Error(refused, correlationId);
        }

        var result = await confidentialClient.AcquireTokenOnBehalfOfAsync(
            parsed.Request.UserAssertion!, parsed.Request.Scopes, parsed.Request.ClaimsChallenge, cancellationToken);
        return result.Succeeded
            ? OAuthJsonResult.Token(result.Token, time.GetUtcNow())
            : OAuthJsonResult.Error(result.Error, correlationId);
    }
}
