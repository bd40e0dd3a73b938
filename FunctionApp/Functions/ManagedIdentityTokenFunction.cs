using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// <c>GET /api/clients/{client}/managed-identity/token</c>: the App Service managed-identity protocol
/// (<c>api-version=2019-08-01</c>), so that any Azure SDK's <c>ManagedIdentityCredential</c> gets the
/// client's tokens with two environment variables. Anonymous at the host (the SDKs cannot send a
/// function key): the caller proves itself with <c>X-IDENTITY-HEADER</c>. Served by the same core as
/// the JSON API, so a token fetched through either is served from cache to the other. No answer to a
/// permanent error is one the SDKs retry (404, 408, 429, 500, 503, 504): the 429 is the failure limit's.
/// </summary>
public sealed class ManagedIdentityTokenFunction(
    ConfidentialClients clients, ManagedIdentityCallers callers, IOptions<TokenCoreOptions> options, TimeProvider time)
{
    public const string HeaderName = "X-IDENTITY-HEADER";

    [Function("AcquireTokenForManagedIdentity")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{client}/managed-identity/token")] HttpRequest request,
        string client,
        CancellationToken cancellationToken)
    {
        var correlationId = CorrelationId.For(request);

        // A client that does not serve the protocol answers as an unknown one: an anonymous caller learns
        // no client names here. 400, not 404, which the SDKs would retry.
        if (!callers.Serves(client) || !clients.TryGet(client, out var confidentialClient))
        {
            return OAuthJsonResult.Error(TokenError.InvalidRequest($"No client named '{client}' serves the managed-identity protocol."), correlationId);
        }

        var authentication = callers.Authenticate(client, request.Headers[HeaderName].ToString(), CallerAddress(request));
        if (authentication.Error is { } unauthenticated)
        {
            return OAuthJsonResult.Error(unauthenticated, correlationId);
        }

        var (query, invalid) = ManagedIdentityQuery.Parse(request.QueryString.Value?.TrimStart('?'));
        if (invalid is not null)
        {
            return OAuthJsonResult.Error(invalid, correlationId);
        }

        var clientId = options.Value.Clients[client].ClientId;
        if (SelectorProblem(query!, clientId) is { } selector)
        {
            return OAuthJsonResult.Error(selector, correlationId);
        }

        if (authentication.Caller!.Authorize(query!.Resource) is { } forbidden)
        {
            return OAuthJsonResult.Error(forbidden, correlationId);
        }

        var result = await confidentialClient.AcquireTokenForClientAsync(
            [ManagedIdentityResource.ScopeOf(query.Resource)], null, cancellationToken);
        return result.Succeeded
            ? OAuthJsonResult.ManagedIdentityToken(result.Token, query.Resource, clientId, time.GetUtcNow())
            : OAuthJsonResult.Error(result.Error, correlationId, StatusFor(result.Error));
    }

    // The JSON API answers every upstream failure 502. Here that would be wrong both ways: the SDKs
    // retry 5xx, so Entra refusing the broker's own credential (permanent, Entra's 4xx) keeps its 4xx
    // as 400, and an outage of Entra is 503, which they retry as they should.
    private static int? StatusFor(TokenError error) => error.Kind switch
    {
        TokenErrorKind.UpstreamFailure when error.Error is "invalid_client" or "unauthorized_client" => StatusCodes.Status400BadRequest,
        TokenErrorKind.UpstreamFailure => StatusCodes.Status503ServiceUnavailable,
        _ => null,
    };

    // The endpoint is one identity, the client's app registration. A client id names it or another;
    // an object id, principal id or resource id cannot be checked (the broker does not know the
    // registration's service principal), so it is refused rather than trusted to mean this identity.
    private static TokenError? SelectorProblem(ManagedIdentityQuery query, string clientId)
    {
        if (query.OtherSelector is { } other)
        {
            return TokenError.InvalidRequest(
                $"{other} is not supported: this endpoint is the identity of client id {clientId}; select it by client_id or not at all.");
        }

        return query.ClientId is { } id && !id.Equals(clientId, StringComparison.OrdinalIgnoreCase)
            ? TokenError.InvalidRequest($"client_id names another identity: this endpoint is the identity of client id {clientId} (check AZURE_CLIENT_ID).")
            : null;
    }

    // App Service's front end puts the remote address in X-Forwarded-For; behind it the connection is the front end's.
    private static string CallerAddress(HttpRequest request)
    {
        var forwarded = request.Headers["X-Forwarded-For"].ToString();
        var address = forwarded.Length > 0 ? forwarded.Split(',')[0].Trim() : request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        return address.Length is > 0 and <= 64 && address.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '[' or ']')
            ? address
            : "unknown";
    }
}
