using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// The warm-up the host starts builds the Table client's query path over an answer made in the
/// process: it completes, and neither it nor the start sends anything anywhere.
/// </summary>
public sealed class TableQueryWarmupTests
{
    [Fact]
    public async Task The_host_starts_a_warmup_that_completes_without_a_request_leaving_the_process()
    {
        var routing = new LoopbackRouting();
        await using var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, routing);

        Assert.Contains(app.Services.GetServices<IHostedService>(), service => service is TableQueryWarmup);
        Assert.Null(await TableQueryWarmup.Completion); // null: the query ran to its end, nothing failed
        Assert.Empty(app.Requests.Entries);
        Assert.Empty(routing.Dialled);
    }
}
