using Microsoft.AspNetCore.Http;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// What every client endpoint does before the core is called: find the client, read the body, ask the
/// caller policy about the caller the platform vouches for.
/// </summary>
public sealed class EndpointAdmission(ConfidentialClients clients, CallerPolicy callers, AppServiceAuthentication platform)
{
    /// <summary>A token request; with <paramref name="onBehalfOf"/>, one that must carry a user assertion.</summary>
    public async Task<Admission> AdmitTokenRequestAsync(HttpRequest request, string client, bool onBehalfOf, CancellationToken cancellationToken)
    {
        var correlationId = CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return Admission.Refuse(TokenError.UnknownClient(client), correlationId);
        }

        var parsed = await TokenRequest.ParseAsync(request, cancellationToken, onBehalfOf).ConfigureAwait(false);
        if (parsed.Error is { } invalid)
        {
            return Admission.Refuse(invalid, correlationId);
        }

        return Authorize(request, client, parsed.Request!.Scopes) is { } refused
            ? Admission.Refuse(refused, correlationId)
            : Admission.Admit(confidentialClient, parsed.Request, correlationId);
    }

    /// <summary>
    /// A request to remove the client's tokens: a client that restricts its callers lets only those
    /// callers clear its tokens. The admitted request carries no scopes.
    /// </summary>
    public Admission AdmitRemoval(HttpRequest request, string client)
    {
        var correlationId = CorrelationId.For(request);
        if (!clients.TryGet(client, out var confidentialClient))
        {
            return Admission.Refuse(TokenError.UnknownClient(client), correlationId);
        }

        return Authorize(request, client, []) is { } refused
            ? Admission.Refuse(refused, correlationId)
            : Admission.Admit(confidentialClient, TokenRequest.None, correlationId);
    }

    // The principal header is read only for a client that restricts its callers: for the others it
    // changes nothing, and a request should not pay for decoding it.
    private TokenError? Authorize(HttpRequest request, string client, IReadOnlyList<string> scopes) =>
        callers.IsRestricted(client) ? callers.Authorize(platform.CallerOf(request), client, scopes) : null;
}
