using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// What both token endpoints do before the core is called: find the client, read the body, ask the
/// caller policy. Either the admitted request or the contract's error to answer with.
/// </summary>
internal sealed record TokenEndpoint(ConfidentialClient? Client, TokenRequest? Request, IActionResult? Refusal, string CorrelationId)
{
    public static async Task<TokenEndpoint> AdmitAsync(
        HttpRequest request, string client, ConfidentialClients clients, CallerPolicy callers, bool onBehalfOf, CancellationToken cancellationToken)
    {
        var correlationId = Functions.CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return Refuse(TokenError.UnknownClient(client), correlationId);
        }

        var parsed = await TokenRequest.ParseAsync(request, cancellationToken, onBehalfOf).ConfigureAwait(false);
        if (parsed.Error is { } invalid)
        {
            return Refuse(invalid, correlationId);
        }

        return callers.Authorize(request, client, parsed.Request!.Scopes) is { } refused
            ? Refuse(refused, correlationId)
            : new TokenEndpoint(confidentialClient, parsed.Request, null, correlationId);
    }

    /// <summary>The core's answer as the contract's response.</summary>
    public IActionResult Answer(TokenResult result, TimeProvider time) =>
        result.Succeeded ? OAuthJsonResult.Token(result.Token, time.GetUtcNow()) : OAuthJsonResult.Error(result.Error, CorrelationId);

    private static TokenEndpoint Refuse(TokenError error, string correlationId) =>
        new(null, null, OAuthJsonResult.Error(error, correlationId), correlationId);
}
