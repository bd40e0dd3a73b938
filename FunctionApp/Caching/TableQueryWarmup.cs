using System.Net;
using System.Text;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Caching;

/// <summary>
/// A process's first Table query pays for work the Table client does once per process: it builds a
/// binder for the entity type (reflection and compiled expressions, which no ReadyToRun image holds:
/// about 33 ms and 62 JIT-compiled methods on the benchmark machine), and a cold start's one Table read
/// is a query. This runs one query through the same client library over an answer made in the process
/// (an empty page: nothing is sent anywhere and no credential is used), on the thread pool, once per
/// process: from the host's start, and at the latest beside the first real query. Started with the
/// host, it is done before a first invocation that comes later; started beside the first query, it
/// runs while the query is in flight, and whatever it has compiled by the time the answer comes the
/// query no longer compiles (the library does not wait for a binder being built: a round trip shorter
/// than the build builds a second one). It takes a second core while it runs. Never an error: a
/// warm-up that fails leaves the first query as it was.
/// </summary>
public sealed partial class TableQueryWarmup(ILoggerFactory loggers) : IHostedService
{
    private static readonly Lazy<Task<string?>> Warmup = new(StartQuery);

    /// <summary>The process's warm-up: null once the query path is built, or why it could not be.</summary>
    internal static Task<string?> Completion => Warmup.Value;

    /// <summary>Starts the process's warm-up unless it has started already; returns at once.</summary>
    public static void Begin() => _ = Warmup.Value;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = ReportAsync(new DeferredLogger<TableQueryWarmup>(loggers));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task ReportAsync(ILogger logger)
    {
        if (await Completion.ConfigureAwait(false) is { } failure)
        {
            LogFailed(logger, failure);
        }
    }

    // Without the context of whoever started it: when the first query starts it, its activity, log
    // scopes and other async-local state must not follow the warm-up's own query.
    private static Task<string?> StartQuery()
    {
        using var _ = ExecutionContext.SuppressFlow();
        return Task.Run(QueryOnceAsync);
    }

    /// <summary>One query over the in-process answer: null when it ran to its end, else why it did not.</summary>
    internal static async Task<string?> QueryOnceAsync()
    {
        try
        {
            using var answer = new EmptyPage();
            using var http = new HttpClient(answer);
            var options = new TableClientOptions { Transport = new HttpClientTransport(http) };
            options.Retry.MaxRetries = 0;
            var table = new TableClient(new Uri("https://warmup.invalid/warmup"), options);
            await foreach (var _ in table.QueryAsync<TableEntity>("PartitionKey eq 'warmup'").ConfigureAwait(false))
            {
            }

            return null;
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }

    [LoggerMessage(EventId = 2012, Level = LogLevel.Debug, Message = "The Table query warm-up failed ({Reason}); the first query builds its path itself")]
    private static partial void LogFailed(ILogger logger, string reason);

    /// <summary>The answer to any request: a page with no entities, as the Table service sends one.</summary>
    private sealed class EmptyPage : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent("""{"value":[]}""", Encoding.UTF8, "application/json"),
            });
    }
}
