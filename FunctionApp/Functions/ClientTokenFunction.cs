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
        var correlationId = CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return OAuthJsonResult.Error(TokenError.UnknownClient(client), correlationId);
        }

        var parsed = await TokenRequest.ParseAsync(request, cancellationToken);
        if (parsed.Error is { } invalid)
        {
            return OAuthJsonResult.Error(invalid, correlationId);
        }

        if (callers.Authorize(request, client, parsed.Request!.Scopes) is { } refused)
        {
            return OAuthJsonResult.Error(refused, correlationId);
        }

        var result = await confidentialClient.AcquireTokenForClientAsync(
            parsed.Request!.Scopes, parsed.Request.ClaimsChallenge, cancellationToken);
        return result.Succeeded
            ? OAuthJsonResult.Token(result.Token, time.GetUtcNow())
            : OAuthJsonResult.Error(result.Error, correlationId);
    }
}
