using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// A fake Azure instance metadata service (plain HTTP, as the real one) on loopback. The routing maps
/// 169.254.169.254 here, so nothing ever reaches the real address.
/// </summary>
public sealed class FakeImds : IAsyncDisposable
{
    public const string Address = "169.254.169.254";

    private readonly WebApplication _app;
    private int _calls;

    private FakeImds(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>The region the service names; null answers 404, as on a host without compute metadata.</summary>
    public string? Region { get; set; } = "westus2";

    /// <summary>When set, the answer is this status alone: IMDS says 500 or 429 when it cannot answer now.</summary>
    public int? FailureStatus { get; set; }

    /// <summary>When set, awaited before answering (a hanging IMDS, or a gate the test opens).</summary>
    public Func<CancellationToken, Task>? BeforeAnswer { get; set; }

    /// <summary>Completes when the first request has arrived.</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Calls => _calls;

    public static async Task<FakeImds> StartAsync()
    {
        var app = LoopbackHost.Create(https: false);
        var imds = new FakeImds(app);
        app.MapGet("/metadata/instance/compute/location", async (HttpContext context) =>
        {
            Interlocked.Increment(ref imds._calls);
            imds.FirstRequest.TrySetResult();
            if (context.Request.Headers["Metadata"] != "true")
            {
                context.Response.StatusCode = 400;
                return;
            }

            if (imds.BeforeAnswer is { } before)
            {
                await before(context.RequestAborted);
            }

            if (imds.FailureStatus is { } failure)
            {
                context.Response.StatusCode = failure;
                return;
            }

            if (imds.Region is null)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(imds.Region);
        });
        await app.StartAsync();
        imds.Port = LoopbackHost.PortOf(app);
        return imds;
    }

    public LoopbackRouting Route(LoopbackRouting routing) => routing.Map(Address, Port);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
