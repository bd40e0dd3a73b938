using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Functions;
using TokenFunctions;
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

    private AppProcess(ServiceProvider services, CapturedLogs logs, RequestJournal requests)
    {
        _services = services;
        Logs = logs;
        Requests = requests;
    }

    public CapturedLogs Logs { get; }

    /// <summary>Every HTTP request this process sent (to Entra, the Table, Key Vault, ...).</summary>
    public RequestJournal Requests { get; }

    public IServiceProvider Services => _services;

    public ConfidentialClients Clients => _services.GetRequiredService<ConfidentialClients>();

    /// <summary>Starts a process with settings named as the environment names them (<c>Clients__a__ClientId</c>).</summary>
    /// <param name="validateOnBuild">
    /// Check every registration when the container is built, as the host does in Development (the tests:
    /// a registration that cannot be resolved fails at once); false builds it as the host does in
    /// Production, Azure's default (the benchmarks: what a cold start costs there).
    /// </param>
    public static AppProcess Start(
        IReadOnlyDictionary<string, string?> settings,
        LoopbackRouting routing,
        TimeProvider? time = null,
        Action<IServiceCollection>? configure = null,
        bool validateOnBuild = true)
    {
        var configuration = ConfigurationOf(settings);
        var logs = new CapturedLogs();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddTokenBroker(configuration);
        var journal = new RequestJournal();
        routing.RouteHttpClients(services)
            .ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new RequestJournal.Handler(journal)));
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = validateOnBuild, ValidateScopes = validateOnBuild });

        // What the host does at start: every ValidateOnStart options class is checked (the broker's own
        // settings were checked already, by AddTokenBroker), then the hosted services are started.
        provider.GetService<IStartupValidator>()?.Validate();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            hosted.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        return new AppProcess(provider, logs, journal);
    }

    /// <summary>The configuration a process started with <paramref name="settings"/> reads.</summary>
    public static IConfiguration ConfigurationOf(IReadOnlyDictionary<string, string?> settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();

    public Task<FunctionResponse> PostTokenAsync(string client, object body) =>
        PostTokenAsync(client, JsonSerializer.Serialize(body));

    public async Task<FunctionResponse> PostTokenAsync(string client, string body, string contentType = "application/json")
    {
        var context = NewContext("POST", $"/api/clients/{client}/token", Encoding.UTF8.GetBytes(body), contentType);
        var function = ActivatorUtilities.CreateInstance<ClientTokenFunction>(_services);
        var result = await function.Run(context.Request, client, CancellationToken.None);
        return await ExecuteAsync(context, result);
    }

    public async Task<FunctionResponse> PostOnBehalfOfAsync(string client, object body, IDictionary<string, string>? headers = null)
    {
        var context = NewContext("POST", $"/api/clients/{client}/token/on-behalf-of", JsonSerializer.SerializeToUtf8Bytes(body), "application/json");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        var function = ActivatorUtilities.CreateInstance<OnBehalfOfTokenFunction>(_services);
        return await ExecuteAsync(context, await function.Run(context.Request, client, CancellationToken.None));
    }

    /// <summary>A token request with extra headers (such as the platform's principal header).</summary>
    public async Task<FunctionResponse> PostTokenAsync(string client, object body, IDictionary<string, string> headers)
    {
        var context = NewContext("POST", $"/api/clients/{client}/token", JsonSerializer.SerializeToUtf8Bytes(body), "application/json");
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        var function = ActivatorUtilities.CreateInstance<ClientTokenFunction>(_services);
        return await ExecuteAsync(context, await function.Run(context.Request, client, CancellationToken.None));
    }

    public async Task<FunctionResponse> DeleteTokensAsync(string client)
    {
        var context = NewContext("DELETE", $"/api/clients/{client}/tokens", [], null);
        var function = ActivatorUtilities.CreateInstance<RemoveTokensFunction>(_services);
        return await ExecuteAsync(context, await function.Run(context.Request, client, CancellationToken.None));
    }

    /// <summary>A managed-identity token request: <paramref name="query"/> as sent, without the leading '?'.</summary>
    public async Task<FunctionResponse> GetManagedIdentityTokenAsync(string client, string query, string? identityHeader, IDictionary<string, string>? headers = null)
    {
        var context = NewContext("GET", $"/api/clients/{Uri.EscapeDataString(client)}/managed-identity/token", [], null);
        context.Request.QueryString = new QueryString("?" + query);
        if (identityHeader is not null)
        {
            context.Request.Headers[ManagedIdentityTokenFunction.HeaderName] = identityHeader;
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        var function = ActivatorUtilities.CreateInstance<ManagedIdentityTokenFunction>(_services);
        return await ExecuteAsync(context, await function.Run(context.Request, client, CancellationToken.None));
    }

    /// <summary>The core's client of that name, for tests that call the token core directly.</summary>
    public ConfidentialClient Client(string name) =>
        Clients.TryGet(name, out var client) ? client : throw new ArgumentException($"No client '{name}'.", nameof(name));

    public async Task<FunctionResponse> GetHealthAsync()
    {
        var context = NewContext("GET", "/api/health", [], null);
        var function = ActivatorUtilities.CreateInstance<HealthFunction>(_services);
        return await ExecuteAsync(context, await function.Run(context.Request, CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var hosted in _services.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            await _services.DisposeAsync();
        }
    }

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
        if (body.Length == 0)
        {
            body = "{}";
        }

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
