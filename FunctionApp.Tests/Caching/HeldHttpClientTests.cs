using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// The HttpClients the Azure SDK holds for the life of the process recycle their connections, so that
/// a DNS change reaches them; and the tests' routing still carries every connection.
/// </summary>
public sealed class HeldHttpClientTests
{
    [Theory]
    [InlineData(TokenCacheServiceCollectionExtensions.TableHttpClientName)]
    [InlineData(AzureCredentialFactory.HttpClientName)]
    public async Task Connections_of_a_held_client_are_recycled_on_the_routed_handler(string client)
    {
        await using var app = AppProcess.Start(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Clients__orders__ClientId"] = "00000000-0000-0000-0000-000000000001",
            ["Clients__orders__Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            ["Clients__orders__ClientSecret"] = "not-used",
            ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
        }, new LoopbackRouting());

        var primary = PrimaryHandler(app.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(client));

        var sockets = Assert.IsType<SocketsHttpHandler>(primary);
        Assert.Equal(HeldHttpClients.ConnectionLifetime, sockets.PooledConnectionLifetime);
        Assert.NotNull(sockets.ConnectCallback); // the routing's: no connection leaves the machine
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
