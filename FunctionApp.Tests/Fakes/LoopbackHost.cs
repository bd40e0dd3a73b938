using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TokenFunctions.Tests.Fakes;

/// <summary>Where every fake runs: Kestrel on a free loopback port, over HTTPS with the fakes' certificate unless plain HTTP is asked for.</summary>
internal static class LoopbackHost
{
    public static WebApplication Create(bool https = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (https)
            {
                listen.UseHttps(TestCertificates.Tls);
            }
        }));
        return builder.Build();
    }

    /// <summary>The port a started host listens on.</summary>
    public static int PortOf(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
}
