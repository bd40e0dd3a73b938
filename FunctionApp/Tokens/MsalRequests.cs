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
    private readonly string? _clientClaims = client.Options.ClientClaims.Count == 0 ? null : JsonSerializer.Serialize(client.Options.ClientClaims, AssertionJsonContext.Default.DictionaryStringString);

    public Task<AccessToken> ForClientAsync(
        BoundApplication msal, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken cancellationToken) =>
        SendAsync(msal.Application.AcquireTokenForClient(scopes).WithForceRefresh(forceRefresh), msal, TokenRequestTelemetry.ClientCredentials, claimsChallenge, cancellationToken);

    public Task<AccessToken> OnBehalfOfAsync(
        BoundApplication msal, string userAssertion, IReadOnlyList<string> scopes, string? claimsChallenge, CancellationToken cancellationToken) =>
        SendAsync(msal.Application.AcquireTokenOnBehalfOf(scopes, new UserAssertion(userAssertion)), msal, TokenRequestTelemetry.OnBehalfOf, claimsChallenge, cancellationToken);

    private async Task<AccessToken> SendAsync<T>(T request, BoundApplication msal, string flow, string? claimsChallenge, CancellationToken cancellationToken)
        where T : AbstractAcquireTokenParameterBuilder<T>
    {
        if (claimsChallenge is not null)
        {
            request = request.WithClaims(claimsChallenge);
        }

        if (_clientClaims is not null)
        {
            request = (T)request.WithExtraClientAssertionClaims(_clientClaims);
        }

        var call = new EntraCall(client, flow, msal.Region, telemetry, time);
        request = (T)request.OnBeforeTokenRequest(async data =>
        {
            await throttle.EnsureNotThrottledAsync(msal.Row, msal.Binding, data.CancellationToken).ConfigureAwait(false);
            ExcludeScopes(data);
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

    private void ExcludeScopes(OnBeforeTokenRequestData data)
    {
        var excluded = client.Options.ExcludeScopes;
        if (excluded.Count > 0 && data.BodyParameters.TryGetValue("scope", out var scope))
        {
            data.BodyParameters["scope"] = string.Join(' ', scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(s => !excluded.Contains(s, client.Scopes.Comparer)));
        }
    }
}
