using System.Text.Json;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.Extensibility;
using TokenFunctions.Credentials;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Tokens;

/// <summary>
/// Sends one token request of one client through MSAL, built the same way for both flows: the claims
/// challenge, the client's extra assertion claims, and the hook MSAL runs just before it would call
/// Entra (never on a cache hit) — the moment to hold back while Entra throttles this client, to drop
/// the reserved scopes <c>ExcludeScopes</c> names (MSAL.NET has no option for it), and to start the
/// <see cref="EntraCall"/>.
/// </summary>
public sealed class MsalRequests(ClientRegistration client, EntraThrottle throttle, TokenTelemetry telemetry, TimeProvider time)
{
    private readonly ClientRegistration _client = client;
    private readonly EntraThrottle _throttle = throttle;
    private readonly TokenTelemetry _telemetry = telemetry;
    private readonly TimeProvider _time = time;
    private readonly string? _clientClaims = client.Options.ClientClaims.Count == 0 ? null : JsonSerializer.Serialize(client.Options.ClientClaims, AssertionJsonContext.Default.DictionaryStringString);

    public Task<AccessToken> ForClientAsync(
        BoundApplication msal, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken cancellationToken) =>
        Requests.SendAsync(this, msal.Application.AcquireTokenForClient(scopes).WithForceRefresh(forceRefresh), msal, TokenRequestTelemetry.ClientCredentials, claimsChallenge, cancellationToken);

    public Task<AccessToken> OnBehalfOfAsync(
        BoundApplication msal, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        Requests.SendAsync(this, msal.Application.AcquireTokenOnBehalfOf(scopes, new UserAssertion(userAssertion)), msal, TokenRequestTelemetry.OnBehalfOf, claimsChallenge, cancellationToken);

    // A nested class of its own: a generic method constrained on an MSAL type loads MSAL's assembly as
    // soon as the type that declares it is loaded, and the core serves a token straight from the Table
    // without MSAL (ResourceApplications.TryServeFromTableAsync), before any of this is needed.
    private static class Requests
    {
        public static async Task<AccessToken> SendAsync<T>(
            MsalRequests owner, T request, BoundApplication msal, string flow, string? claimsChallenge, CancellationToken cancellationToken)
            where T : AbstractAcquireTokenParameterBuilder<T>
        {
            if (claimsChallenge is not null)
            {
                request = request.WithClaims(claimsChallenge);
            }

            if (owner._clientClaims is not null)
            {
                request = (T)request.WithExtraClientAssertionClaims(owner._clientClaims);
            }

            var call = new EntraCall(owner._client, flow, msal.Region, owner._telemetry, owner._time);
            request = (T)request.OnBeforeTokenRequest(async data =>
            {
                await owner._throttle.EnsureNotThrottledAsync(msal.Row, msal.Binding, data.CancellationToken).ConfigureAwait(false);
                owner.ExcludeScopes(data);
                call.Start(data.RequestUri);
            });

            var result = await call.CompleteAsync(request.ExecuteAsync(cancellationToken)).ConfigureAwait(false);
            return new AccessToken(
                result.TokenType ?? "Bearer",
                result.AccessToken,
                result.ExpiresOn,
                result.AuthenticationResultMetadata?.RefreshOn,
                result.AuthenticationResultMetadata?.TokenSource == Microsoft.Identity.Client.TokenSource.IdentityProvider ? TokenSource.IdentityProvider : TokenSource.Cache)
            {
                RefreshStarted = result.AuthenticationResultMetadata?.CacheRefreshReason == CacheRefreshReason.ProactivelyRefreshed,
            };
        }
    }

    private void ExcludeScopes(OnBeforeTokenRequestData data)
    {
        var excluded = _client.Options.ExcludeScopes;
        if (excluded.Count > 0 && data.BodyParameters.TryGetValue("scope", out var scope))
        {
            data.BodyParameters["scope"] = string.Join(' ', scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(s => !excluded.Contains(s, _client.Scopes.Comparer)));
        }
    }
}
