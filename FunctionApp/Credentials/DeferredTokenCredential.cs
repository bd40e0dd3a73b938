using Azure.Core;

namespace TokenFunctions.Credentials;

/// <summary>
/// The broker's Azure identity, built on its first use rather than when the container is: a new
/// instance that serves its first token from the Table (with a certificate file, or with the Table
/// reached by connection string) never needs it, and building it loads Azure.Identity and an HTTP
/// pipeline for nothing.
/// </summary>
public sealed class DeferredTokenCredential(Func<TokenCredential> create) : TokenCredential
{
    private readonly Lazy<TokenCredential> _credential = new(create);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        _credential.Value.GetToken(requestContext, cancellationToken);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        _credential.Value.GetTokenAsync(requestContext, cancellationToken);
}
