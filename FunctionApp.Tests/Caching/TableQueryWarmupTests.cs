using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// The Table query warm-up: its query runs through the real Table client library to the end over the
/// answer made in the process, and the host that starts it sends nothing anywhere.
/// </summary>
public sealed class TableQueryWarmupTests
{
    [Fact]
    public async Task The_warmup_query_runs_to_its_end_over_the_answer_made_in_the_process()
    {
        // Null: the library sent its request, read the empty page and finished enumerating it. A change
        // in what it expects of a query's answer shows here as the failure's type name.
        Assert.Null(await TableQueryWarmup.QueryOnceAsync());
    }

    [Fact]
    public async Task The_broker_is_started_with_the_warmup_and_sends_nothing_for_it()
    {
        var routing = new LoopbackRouting();
        await using var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, routing);

        Assert.Contains(app.Services.GetServices<IHostedService>(), service => service is TableQueryWarmup);
        Assert.Null(await TableQueryWarmup.Completion);
        Assert.Empty(app.Requests.Entries);
        Assert.Empty(routing.Dialled);
    }
}
