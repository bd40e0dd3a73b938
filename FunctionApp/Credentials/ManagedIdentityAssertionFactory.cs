using System.Collections.Concurrent;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Credentials;

/// <summary>
/// Makes the assertion source of each client that uses the app's managed identity as a federated
/// credential. One <see cref="ManagedIdentityCredential"/> per identity, so that clients trusting the
/// same identity share its cached token.
/// </summary>
public sealed class ManagedIdentityAssertionFactory(IHttpClientFactory httpClients, IOptions<CredentialOptions> options, ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, ManagedIdentityCredential> _identities = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="authority">The client's Entra authority, whose cloud names the default audience.</param>
    public IClientAssertionSource? Create(string client, ManagedIdentityAssertionOptions? settings, string? authority)
    {
        if (settings is not { Enabled: true })
        {
            return null;
        }

        var clientId = string.IsNullOrWhiteSpace(settings.ClientId) ? options.Value.ManagedIdentityClientId : settings.ClientId;
        var identity = string.IsNullOrWhiteSpace(clientId) ? "system-assigned managed identity" : $"user-assigned managed identity {clientId}";
        return new ManagedIdentityClientAssertion(
            client,
            identity,
            settings.AudienceFor(authority),
            _identities.GetOrAdd(clientId ?? "", CreateCredential),
            loggers.CreateLogger($"TokenFunctions.Credentials.{client}"));
    }

    private ManagedIdentityCredential CreateCredential(string clientId) =>
        AzureCredentialFactory.ManagedIdentity(clientId, httpClients, retry =>
        {
            // The token is fetched inside a caller's request budget. Azure.Identity retries a failing
            // identity endpoint five times whatever MaxRetries says, so the back-off is what bounds
            // the wait: about 3.5 s before a clear 503, rather than the default's 25 s past the budget.
            retry.Delay = TimeSpan.FromMilliseconds(200);
            retry.MaxDelay = TimeSpan.FromSeconds(1);
            retry.NetworkTimeout = TimeSpan.FromSeconds(3);
        });
}
