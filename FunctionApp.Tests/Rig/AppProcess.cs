using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tokens;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// One "process" of the Function App: the service registration <c>Program.cs</c> uses, over real
/// settings, with every HttpClient routed to the loopback fakes. Two of these over one table are two
/// Functions instances (or a cold start after a recycle).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private AppProcess(ServiceProvider services, CapturedLogs logs)
    {
        _services = services;
        Logs = logs;
    }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _services;

    public ConfidentialClients Clients => _services.GetRequiredService<ConfidentialClients>();

    /// <summary>
    /// Starts a process with settings named as the environment names them (<c>Clients__a__ClientId</c>).
    /// <paramref name="configureServices"/> runs last, e.g. to add a counting handler or change the log level.
    /// </summary>
    public static AppProcess Start(
        IReadOnlyDictionary<string, string?> settings, LoopbackRouting routing, TimeProvider? time = null, Action<IServiceCollection>? configureServices = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var logs = new CapturedLogs();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddTokenCore(configuration);
        services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler(routing.CreateHandler));
        configureServices?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // What the host does at start: every ValidateOnStart options class is checked.
        provider.GetRequiredService<IStartupValidator>().Validate();
        return new AppProcess(provider, logs);
    }

    public Task<FunctionResponse> PostTokenAsync(string client, object body) =>
        PostTokenAsync(client, JsonSerializer.Serialize(body));

    public async Task<FunctionResponse> PostTokenAsync(string client, string body, string contentType = "application/json")
    {
        var context = NewContext("POST", $"/api/clients/{client}/token", Encoding.UTF8.GetBytes(body), contentType);
        var function = ActivatorUtilities.CreateInstance<ClientTokenFunction>(_services);
        var result = await function.Run(context.Request, client, CancellationToken.None);
        return await ExecuteAsync(context, result);
    }

    public async Task<FunctionResponse> GetHealthAsync()
    {
        var context = NewContext("GET", "/api/health", [], null);
        var function = ActivatorUtilities.CreateInstance<HealthFunction>(_services);
        return await ExecuteAsync(context, function.Run(context.Request));
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private DefaultHttpContext NewContext(string method, string path, byte[] body, string? contentType)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<FunctionResponse> ExecuteAsync(HttpContext context, IActionResult result)
    {
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        return new FunctionResponse(context.Response.StatusCode, context.Response.Headers, body);
    }
}

/// <summary>What a caller of a function sees: status, headers, body.</summary>
public sealed record FunctionResponse(int Status, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Text(string property) =>
        Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public override string ToString() => $"{Status} {Body}";
}
