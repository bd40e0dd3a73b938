using Microsoft.Identity.Client;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// The HttpClient a baseline MSAL application gets: one per application, as MSAL's own default
/// factory keeps one, over the test rig's loopback routing so that it can only reach the fakes.
/// Its timeout is HttpClient's default (100 s), as MSAL's own client has, unless one is given.
/// </summary>
internal sealed class RoutedMsalHttpClientFactory(LoopbackRouting routing, TimeSpan? timeout = null) : IMsalHttpClientFactory, IDisposable
{
    private readonly HttpClient _client = timeout is { } t ? new(routing.CreateHandler()) { Timeout = t } : new(routing.CreateHandler());

    public HttpClient GetHttpClient() => _client;

    public void Dispose() => _client.Dispose();
}
