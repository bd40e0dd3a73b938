using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// The HttpClients the Azure SDK holds for the life of the process recycle their connections, so that
/// a DNS change reaches them, and are not rotated by the factory; the tests' routing still carries
/// every connection.
/// </summary>
public sealed class HeldHttpClientTests
{
    [Theory]
    [InlineData(TokenCacheServiceCollectionExtensions.TableHttpClientName)]
    [InlineData(AzureCredentialFactory.HttpClientName)]
    public async Task Connections_of_a_held_client_are_recycled_on_the_routed_handler(string client)
    {
        await using var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, new LoopbackRouting());

        var primary = PrimaryHandler(app.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(client));

        var sockets = Assert.IsType<SocketsHttpHandler>(primary);
        Assert.Equal(HeldHttpClients.ConnectionLifetime, sockets.PooledConnectionLifetime);
        Assert.NotNull(sockets.ConnectCallback); // the routing's: no connection leaves the machine
    }

    /// <summary>
    /// The factory's handler rotation never reaches a held client, but its expiry timer would still
    /// hold the handler, and through the handler's scope the whole container, for two minutes after the
    /// host disposed it: every instance a test or a benchmark starts and stops would stay in memory.
    /// </summary>
    [Fact]
    public void A_disposed_broker_is_not_kept_alive_by_its_held_Table_client()
    {
        var container = StartUseAndDispose();

        // Work the container queued for the thread pool (its dynamic engine compiles a service resolved
        // twice in the background) holds it until it has run: collect until it is gone, a bounded
        // number of times, yielding to that work in between.
        for (var i = 0; i < 100 && container.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Yield();
        }

        Assert.False(container.IsAlive, "The disposed container is still reachable.");
    }

    // Not inlined, not async: the container must not stay reachable from a local or a state machine.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference StartUseAndDispose()
    {
        var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, new LoopbackRouting());
        app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).Dispose();
        var container = new WeakReference(app.Services);
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return container;
    }

    private static HttpMessageHandler PrimaryHandler(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        return handler;
    }
}
