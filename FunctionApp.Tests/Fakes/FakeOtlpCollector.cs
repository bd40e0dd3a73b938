using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// A fake OpenTelemetry collector's OTLP/HTTP receiver over HTTPS on loopback: <c>POST /v1/traces</c>,
/// <c>/v1/metrics</c> and <c>/v1/logs</c> with a protobuf body, answered 200 with an empty protobuf
/// message (full success). It keeps each body as received; strings travel as UTF-8 in protobuf, so a
/// test can look for names without decoding the messages.
/// </summary>
public sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> _exports = new();

    private FakeOtlpCollector(WebApplication app, string host)
    {
        _app = app;
        Host = host;
    }

    public string Host { get; }

    public int Port { get; private set; }

    /// <summary>What an app sets as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with the protocol <c>http/protobuf</c>).</summary>
    public string Endpoint => $"https://{Host}:4318";

    public static async Task<FakeOtlpCollector> StartAsync(string host)
    {
        var app = LoopbackHost.Create();
        var collector = new FakeOtlpCollector(app, host);
        foreach (var signal in new[] { "traces", "metrics", "logs" })
        {
            app.MapPost($"/v1/{signal}", async context =>
            {
                if (context.Request.ContentType != "application/x-protobuf")
                {
                    context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                collector._exports.Enqueue((signal, body.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
            });
        }

        await app.StartAsync();
        collector.Port = LoopbackHost.PortOf(app);
        return collector;
    }

    public LoopbackRouting Route(LoopbackRouting routing) => routing.Map(Host, Port);

    /// <summary>Whether any export of <paramref name="signal"/> (<c>traces</c>, <c>metrics</c>, <c>logs</c>) carries <paramref name="text"/>.</summary>
    public bool Received(string signal, string text)
    {
        var wanted = Encoding.UTF8.GetBytes(text);
        return _exports.Any(e => e.Signal == signal && e.Body.AsSpan().IndexOf(wanted) >= 0);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
