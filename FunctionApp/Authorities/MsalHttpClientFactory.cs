using Microsoft.Identity.Client;

namespace TokenFunctions.Authorities;

/// <summary>
/// Gives MSAL its HttpClients from <see cref="IHttpClientFactory"/>, so handler lifetime, timeouts
/// and (in tests) host routing are configured once, in the composition root.
/// </summary>
public sealed class MsalHttpClientFactory(IHttpClientFactory factory, string clientName) : IMsalHttpClientFactory
{
    public HttpClient GetHttpClient() => factory.CreateClient(clientName);
}
