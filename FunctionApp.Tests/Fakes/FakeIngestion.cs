using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// A fake Application Insights ingestion endpoint ("Breeze") over HTTPS on loopback, reached through
/// <see cref="LoopbackRouting"/> under the host name the connection string's <c>IngestionEndpoint</c>
/// names. It takes what the Azure Monitor exporter posts to <c>/v2.1/track</c> — telemetry items as
/// newline-delimited JSON, gzip'd when <c>Content-Encoding</c> says so — and answers as the service does:
/// <c>{"itemsReceived":n,"itemsAccepted":n,"errors":[]}</c>, with a 401 for a request without a bearer
/// token the fake Entra ID issued (a component with local auth disabled accepts nothing else), and a
/// per-item 400 for an item of another instrumentation key.
/// </summary>
public sealed class FakeIngestion : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonObject> _items = new();
    private readonly ConcurrentQueue<string> _bodies = new();
    private readonly ConcurrentQueue<string> _tokens = new();

    private FakeIngestion(WebApplication app, string host, string instrumentationKey, Func<string, bool> acceptsToken)
    {
        _app = app;
        Host = host;
        InstrumentationKey = instrumentationKey;
        AcceptsToken = acceptsToken;
    }

    public string Host { get; }

    public string InstrumentationKey { get; }

    public int Port { get; private set; }

    /// <summary>Which bearer tokens are valid (the fake Entra ID's, for Azure Monitor's audience).</summary>
    public Func<string, bool> AcceptsToken { get; }

    /// <summary>What an app sets as <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> to send its telemetry here.</summary>
    public string ConnectionString => $"InstrumentationKey={InstrumentationKey};IngestionEndpoint=https://{Host}/";

    /// <summary>Every telemetry item accepted, as posted.</summary>
    public IReadOnlyCollection<JsonObject> Items => _items;

    /// <summary>Every request body received, decompressed: for searching what may never be sent.</summary>
    public IReadOnlyCollection<string> Bodies => _bodies;

    /// <summary>The bearer token of every accepted request.</summary>
    public IReadOnlyCollection<string> Tokens => _tokens;

    public static async Task<FakeIngestion> StartAsync(string host, Func<string, bool> acceptsToken)
    {
        var app = LoopbackHost.Create();
        var ingestion = new FakeIngestion(app, host, Guid.NewGuid().ToString(), acceptsToken);
        app.MapPost("/v2.1/track", ingestion.TrackAsync);
        await app.StartAsync();
        ingestion.Port = LoopbackHost.PortOf(app);
        return ingestion;
    }

    public LoopbackRouting Route(LoopbackRouting routing) => routing.Map(Host, Port);

    /// <summary>The items of one envelope type (<c>Request</c>, <c>RemoteDependency</c>, <c>Message</c>, <c>Metric</c>, ...).</summary>
    public IEnumerable<JsonObject> ItemsOf(string type) =>
        _items.Where(i => ((string?)i["name"])?.EndsWith("." + type, StringComparison.Ordinal) == true || (string?)i["name"] == type);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task TrackAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request);
        _bodies.Enqueue(body);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var authorization = context.Request.Headers.Authorization.ToString();
        var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
        if (token is null || !AcceptsToken(token))
        {
            await AnswerAsync(context, StatusCodes.Status401Unauthorized, lines.Length,
                Enumerable.Range(0, lines.Length).Select(i => (i, 401, "The Authorization header is missing or its token is not valid for this resource.")).ToList());
            return;
        }

        _tokens.Enqueue(token);
        var errors = new List<(int Index, int Status, string Message)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (JsonNode.Parse(lines[i]) is not JsonObject item)
            {
                errors.Add((i, 400, "Invalid JSON: not a telemetry item."));
            }
            else if ((string?)item["iKey"] != InstrumentationKey)
            {
                errors.Add((i, 400, "Invalid instrumentation key."));
            }
            else
            {
                _items.Enqueue(item);
            }
        }

        var status = errors.Count == 0 ? StatusCodes.Status200OK
            : errors.Count < lines.Length ? StatusCodes.Status206PartialContent
            : StatusCodes.Status400BadRequest;
        await AnswerAsync(context, status, lines.Length, errors);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        var content = request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(request.Body, CompressionMode.Decompress)
            : request.Body;
        await using (content)
        {
            using var reader = new StreamReader(content, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        }
    }

    private static async Task AnswerAsync(HttpContext context, int status, int received, IReadOnlyList<(int Index, int Status, string Message)> errors)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            itemsReceived = received,
            itemsAccepted = received - errors.Count,
            errors = errors.Select(e => new { index = e.Index, statusCode = e.Status, message = e.Message }),
        }));
    }
}
