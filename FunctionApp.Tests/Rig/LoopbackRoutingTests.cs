using System.Net;
using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.Rig;

public sealed class LoopbackRoutingTests
{
    [Theory]
    [InlineData("https://example.com/")]
    [InlineData("http://169.254.169.254/metadata/instance/compute?api-version=2021-02-01")]
    [InlineData("https://eastus2.login.microsoft.com/common/oauth2/v2.0/token")]
    [InlineData("http://10.0.0.1/")]
    public async Task A_host_without_a_loopback_fake_is_refused_before_any_socket_opens(string url)
    {
        var routing = new LoopbackRouting().Map("login.microsoftonline.com", 1);
        using var client = new HttpClient(routing.CreateHandler());

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url)));

        var refused = Assert.IsType<UnroutedHostException>(failure.InnerException);
        Assert.Equal(new Uri(url).Host, refused.Host);
        Assert.Empty(routing.Dialled);
    }

    [Fact]
    public void A_mapped_host_lands_on_loopback_whatever_port_it_dials()
    {
        var routing = new LoopbackRouting().Map("login.microsoftonline.com", 4711);

        var endpoint = routing.Resolve(new DnsEndPoint("login.microsoftonline.com", 443));

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4711), endpoint);
    }

    [Fact]
    public async Task The_fakes_answer_under_the_real_entra_host_name_over_https()
    {
        await using var entra = await FakeEntraId.StartAsync();
        var routing = entra.RouteEntraHosts(new LoopbackRouting());
        using var client = new HttpClient(routing.CreateHandler());

        using var response = await client.GetAsync(new Uri("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["login.microsoftonline.com:443"], routing.Dialled);
    }
}
