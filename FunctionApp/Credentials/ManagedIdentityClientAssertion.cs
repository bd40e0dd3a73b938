using Azure;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Credentials;

/// <summary>
/// The app's managed identity as a federated identity credential: the client assertion is the
/// identity's token for the token exchange audience (<c>api://AzureADTokenExchange/.default</c>), which
/// Entra accepts for an app registration that trusts the identity (issuer, subject, audience). The
/// credential caches that token for most of its lifetime (about a day), so MSAL asking before every
/// call to Entra costs no call to the identity endpoint. Nothing here is secret but the token itself,
/// which is only ever handed to MSAL.
/// </summary>
public sealed partial class ManagedIdentityClientAssertion : IClientAssertionSource
{
    private readonly string _client;
    private readonly string _identity;
    private readonly string _audience;
    private readonly TokenRequestContext _request;
    private readonly TokenCredential _credential;
    private readonly ILogger _logger;
    private volatile CredentialStatus _status = CredentialStatus.NotLoaded;

    /// <param name="identity">Names the identity for messages and health, e.g. "user-assigned managed identity {client id}".</param>
    public ManagedIdentityClientAssertion(string client, string identity, string audience, TokenCredential credential, ILogger logger)
    {
        _client = client;
        _identity = identity;
        _audience = audience;
        _request = new TokenRequestContext([$"{audience}/.default"]);
        _credential = credential;
        _logger = logger;
    }

    public string Description => $"{_identity}, trusted as a federated credential with audience {_audience}";

    /// <summary>
    /// The last outcome: loaded once the identity gave a token, failing when it could not or when Entra
    /// refused its token (until the next token request that reaches Entra hands it out again).
    /// </summary>
    public CredentialStatus Status => _status;

    public async ValueTask<ClientAssertion> GetAssertionAsync(string tokenEndpoint, CancellationToken cancellationToken)
    {
        AccessToken token;
        try
        {
            token = await _credential.GetTokenAsync(_request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Explain(ex, cancellationToken.IsCancellationRequested) is { } failure)
        {
            _status = new CredentialStatus(CredentialState.Failing, failure.FailureClass);
            LogIdentityFailed(_logger, _client, failure.FailureClass, failure.Message);
            throw failure;
        }

        if (_status.State != CredentialState.Loaded)
        {
            _status = CredentialStatus.Loaded;
            LogIdentityTokenObtained(_logger, _client, _identity, _audience, token.ExpiresOn);
        }

        return new ClientAssertion(token.Token, SignedBy: null);
    }

    /// <summary>
    /// Entra refused the identity's token: its federated credential does not match (issuer, subject,
    /// audience) or the token is outside its validity. Another token of the same identity would not
    /// change that, so there is nothing to retry; health shows the credential failing until a later
    /// request gets through.
    /// </summary>
    public Task<bool> ReloadAfterRejectionAsync(string? refusedSigner, CancellationToken cancellationToken)
    {
        _status = new CredentialStatus(CredentialState.Failing, "assertion_rejected");
        LogAssertionRejected(_logger, _client, _identity, _audience);
        return Task.FromResult(false);
    }

    /// <summary>
    /// A clear failure naming the client and the identity, never the endpoint's own text (it may quote
    /// the request); null for a failure that is not the identity's (the caller gave up).
    /// </summary>
    private ClientCredentialUnavailableException? Explain(Exception exception, bool cancelledByCaller)
    {
        var asked = $"the {_identity} asked for a token for {_audience}, the client's assertion";
        return (exception, exception.InnerException) switch
        {
            (OperationCanceledException, _) when cancelledByCaller => null,
            (CredentialUnavailableException, _) or (HttpRequestException or OperationCanceledException, _) or (_, HttpRequestException) => new("identity_unreachable",
                $"Client '{_client}': {asked}, and the managed identity endpoint could not be reached. Check that the identity is assigned to the Function App.", exception),
            (AuthenticationFailedException, MsalServiceException { StatusCode: > 0 } answer) => new("identity_refused",
                $"Client '{_client}': {asked}, and the managed identity endpoint answered {answer.StatusCode}. Check that the identity is assigned to the Function App.", exception),
            (AuthenticationFailedException, MsalClientException { ErrorCode: var code }) when code != MsalError.ManagedIdentityUnreachableNetwork => new("identity_refused",
                $"Client '{_client}': {asked}, and the managed identity endpoint's answer could not be used ({code}).", exception),
            (AuthenticationFailedException or RequestFailedException, _) => new("identity_unreachable",
                $"Client '{_client}': {asked}, and the managed identity endpoint could not be reached. Check that the identity is assigned to the Function App.", exception),
            _ => null,
        };
    }

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information,
        Message = "Client {Client}: the {Identity} got its token for {Audience}, the client assertion (valid until {ExpiresOn:O})")]
    private static partial void LogIdentityTokenObtained(ILogger logger, string client, string identity, string audience, DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Error,
        Message = "Client {Client}: no client assertion from the managed identity ({FailureClass}): {Reason}")]
    private static partial void LogIdentityFailed(ILogger logger, string client, string failureClass, string reason);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Error,
        Message = "Client {Client}: Entra refused the token of the {Identity} (audience {Audience}) as the client assertion: check the app registration's federated credential (issuer, subject, audience)")]
    private static partial void LogAssertionRejected(ILogger logger, string client, string identity, string audience);
}
