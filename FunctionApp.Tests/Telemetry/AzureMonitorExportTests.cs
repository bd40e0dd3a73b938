using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TokenFunctions.Caching;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Telemetry;

/// <summary>
/// What on-call sees in Application Insights: a token request through the composed app, exported by
/// the real Azure Monitor exporter (authenticating with the broker's identity) to a loopback ingestion
/// endpoint that decodes what it receives.
/// </summary>
[Collection(TelemetryExporters.Name)]
public sealed class AzureMonitorExportTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string IngestionHost = "tokenfunctions-tests.in.applicationinsights.azure.com";
    private const string BrokerIdentitySecret = "broker-identity-secret-that-must-never-be-exported";

    private readonly string _brokerIdentity = Guid.NewGuid().ToString();
    private readonly DirectoryInfo _storage = Directory.CreateTempSubdirectory("tokenfunctions-telemetry-");
    private EntraScenario _scenario = null!;
    private FakeIngestion _ingestion = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.RegisterClient(_brokerIdentity, BrokerIdentitySecret);
        _ingestion = await FakeIngestion.StartAsync(IngestionHost, token => _scenario.Entra.IssuedTokens.Contains(token));
        _ingestion.Route(_scenario.Routing);
    }

    public async Task DisposeAsync()
    {
        await _ingestion.DisposeAsync();
        await _scenario.DisposeAsync();
        _storage.Delete(recursive: true);
    }

    [Fact]
    public async Task A_token_request_arrives_as_metrics_a_request_its_entra_call_and_the_call_log_line_and_nothing_secret()
    {
        _scenario.Settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = _ingestion.ConnectionString;
        // The exporter's own statistics go to Microsoft's endpoints over a client of its own, past the
        // test routing: switched off, as the SDK documents, so that nothing can leave the machine.
        using var environment = new EnvironmentScope(new Dictionary<string, string?>
        {
            ["APPLICATIONINSIGHTS_STATSBEAT_DISABLED"] = "true",
            ["APPLICATIONINSIGHTS_SDKSTATS_DISABLED"] = "true",
        });
        await using var app = StartExportingProcess();
        await using var server = await TokenEndpoint.StartAsync(app);

        using var http = new HttpClient(_scenario.Routing.CreateHandler());
        using var response = await http.PostAsJsonAsync(server.Url(EntraScenario.Client), new { scopes = new[] { EntraScenario.Scope } });
        var body = await response.Content.ReadAsStringAsync();
        var request = await server.Completed.WaitAsync(TimeSpan.FromSeconds(30));
        Flush(app);

        Assert.Equal(200, (int)response.StatusCode);
        var trace = request.TraceId.ToHexString();

        // The metrics, by their names and bounded dimensions.
        Assert.Contains(Metrics("tokenfunctions.cache.results"), m => Dimension(m, "client") == "orders" && Dimension(m, "layer") == "miss");
        Assert.Contains(Metrics("tokenfunctions.token.requests"), m => Dimension(m, "flow") == "client_credentials" && Dimension(m, "outcome") == "success");
        Assert.Contains(Metrics("tokenfunctions.entra.calls"), m =>
            Dimension(m, "endpoint") == "global" && Dimension(m, "region") == "global" && Dimension(m, "outcome") == "success");
        Assert.Contains(Metrics("tokenfunctions.entra.duration"), m => Dimension(m, "endpoint") == "global" && Dimension(m, "region") == "global");
        Assert.Contains(Metrics("tokenfunctions.table.operations"), m => Dimension(m, "operation") == "read");

        // The request (ASP.NET Core's), the broker's request activity inside it, and the Entra call inside that.
        var requestItem = Assert.Single(_ingestion.ItemsOf("Request"), i =>
            Tag(i, "ai.operation.id") == trace && ((string?)BaseData(i)["url"])?.EndsWith("/api/clients/orders/token", StringComparison.Ordinal) == true);
        Assert.Equal("200", (string?)BaseData(requestItem)["responseCode"]);
        var acquire = Assert.Single(Dependencies(trace), d => (string?)BaseData(d)["name"] == "TokenFunctions.AcquireToken");
        Assert.Equal((string?)BaseData(requestItem)["id"], Tag(acquire, "ai.operation.parentId"));
        Assert.Equal("orders", Property(acquire, "tokenfunctions.client"));
        var entraCall = Assert.Single(Dependencies(trace), d => (string?)BaseData(d)["name"] == "TokenFunctions.Entra");
        Assert.Equal((string?)BaseData(acquire)["id"], Tag(entraCall, "ai.operation.parentId"));
        Assert.Equal("global", Property(entraCall, "tokenfunctions.region"));
        var correlationId = Property(entraCall, "tokenfunctions.correlation_id");
        Assert.False(string.IsNullOrEmpty(correlationId));

        // The Entra call's log line, in the same operation and with the same correlation id.
        var line = Assert.Single(_ingestion.ItemsOf("Message"), m => Property(m, "EventId") == "1006");
        Assert.Equal(trace, Tag(line, "ai.operation.id"));
        Assert.Equal(correlationId, Property(line, "CorrelationId"));
        Assert.Equal("orders", Property(line, "Client"));

        // Sent with an Entra token for Azure Monitor from the broker's identity, and nothing secret in it.
        Assert.NotEmpty(_ingestion.Tokens);
        Assert.Contains(_scenario.Entra.TokenRequests, r =>
            r.Form.GetValueOrDefault("client_id") == _brokerIdentity && r.Form.GetValueOrDefault("scope") == "https://monitor.azure.com//.default");
        var accessToken = JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
        var secrets = _scenario.Entra.IssuedTokens
            .Append(accessToken)
            .Concat(_scenario.Entra.TokenRequests.Select(r => r.Form.GetValueOrDefault("client_assertion")).OfType<string>())
            .Append(BrokerIdentitySecret)
            .Append("pfx-password")
            .Append(Convert.ToBase64String(_scenario.Certificate.Export(X509ContentType.Pkcs12))[..48])
            .ToList();
        Assert.True(secrets.Count >= 5);
        foreach (var exported in _ingestion.Bodies)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, exported, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Without_a_connection_string_or_an_otlp_endpoint_no_provider_or_exporter_is_built()
    {
        var configuration = AppProcess.ConfigurationOf(_scenario.Settings);
        await using var app = _scenario.StartProcess(configure: services => services.AddFunctionsTelemetryExport(configuration));

        var served = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, served.Status);
        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.Null(app.Services.GetService<LoggerProvider>());
        Assert.Null(app.Services.GetService<Microsoft.Extensions.Options.IConfigureOptions<AzureMonitorExporterOptions>>());
        Assert.All(app.Services.GetServices<IHostedService>(), service => Assert.IsType<TableQueryWarmup>(service)); // the broker's own, no exporter's
        Assert.DoesNotContain(app.Services.GetServices<Microsoft.Extensions.Logging.ILoggerProvider>(), p => p.GetType().Namespace!.StartsWith("OpenTelemetry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_same_signals_go_to_the_collector()
    {
        await using var collector = await FakeOtlpCollector.StartAsync("otel-collector.tokenfunctions.test");
        collector.Route(_scenario.Routing);
        _scenario.Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint;
        _scenario.Settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        await using var app = StartExportingProcess();

        var served = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        Flush(app);

        Assert.Equal(200, served.Status);
        Assert.True(collector.Received("traces", "TokenFunctions.AcquireToken"));
        Assert.True(collector.Received("traces", "TokenFunctions.Entra"));
        Assert.True(collector.Received("metrics", "tokenfunctions.cache.results"));
        Assert.True(collector.Received("logs", "Entra call: client {Client}"));
    }

    // The process starts its hosted services as the host does: the providers are built and the
    // exporters registered before the first request.
    private AppProcess StartExportingProcess()
    {
        var configuration = AppProcess.ConfigurationOf(_scenario.Settings);
        return _scenario.StartProcess(configure: services =>
        {
            // The broker's identity: a real Azure.Identity credential whose tokens come from the fake Entra ID.
            services.AddSingleton<TokenCredential>(new ClientSecretCredential(
                _scenario.Tenant,
                _brokerIdentity,
                BrokerIdentitySecret,
                new ClientSecretCredentialOptions { Transport = new HttpClientTransport(new HttpClient(_scenario.Routing.CreateHandler())) }));
            services.AddFunctionsTelemetryExport(configuration);
            // Telemetry that could not be sent is kept on disk; this test's is kept in its own directory.
            services.Configure<AzureMonitorExporterOptions>(options => options.StorageDirectory = _storage.FullName);
        });
    }

    /// <summary>Everything buffered is exported now, each provider returning once ingestion answered.</summary>
    private static void Flush(AppProcess app)
    {
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush());
        Assert.True(app.Services.GetRequiredService<LoggerProvider>().ForceFlush());
        Assert.True(app.Services.GetRequiredService<MeterProvider>().ForceFlush());
    }

    private IEnumerable<JsonObject> Metrics(string name) =>
        _ingestion.ItemsOf("Metric").Where(m => BaseData(m)["metrics"]!.AsArray().Any(p => (string?)p!["name"] == name));

    private IEnumerable<JsonObject> Dependencies(string trace) =>
        _ingestion.ItemsOf("RemoteDependency").Where(d => Tag(d, "ai.operation.id") == trace);

    private static JsonObject BaseData(JsonObject item) => item["data"]!["baseData"]!.AsObject();

    private static string? Tag(JsonObject item, string name) => (string?)item["tags"]?[name];

    private static string? Property(JsonObject item, string name) => (string?)BaseData(item)["properties"]?[name];

    private static string? Dimension(JsonObject metric, string name) => Property(metric, name);

    /// <summary>
    /// The JSON token endpoint behind a real ASP.NET Core server, so that the request activity is the one
    /// ASP.NET Core starts, as in the worker. The request's activity, once stopped, completes <see cref="Completed"/>.
    /// </summary>
    private sealed class TokenEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _web;
        private readonly ActivityListener _listener;

        private TokenEndpoint(WebApplication web, ActivityListener listener, Task<Activity> completed)
        {
            _web = web;
            _listener = listener;
            Completed = completed;
        }

        public Task<Activity> Completed { get; }

        public string Url(string client) => $"http://127.0.0.1:{LoopbackHost.PortOf(_web)}/api/clients/{client}/token";

        public static async Task<TokenEndpoint> StartAsync(AppProcess app)
        {
            var web = LoopbackHost.Create(https: false);
            var stopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
            Activity? served = null;
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
                ActivityStopped = activity =>
                {
                    if (ReferenceEquals(activity, Volatile.Read(ref served)))
                    {
                        stopped.TrySetResult(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
            web.MapPost("/api/clients/{client}/token", async context =>
            {
                Volatile.Write(ref served, Activity.Current);
                var function = ActivatorUtilities.CreateInstance<ClientTokenFunction>(app.Services);
                var result = await function.Run(context.Request, (string)context.Request.RouteValues["client"]!, context.RequestAborted);
                await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
            });
            await web.StartAsync();
            return new TokenEndpoint(web, listener, stopped.Task);
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _web.DisposeAsync();
        }
    }
}

/// <summary>
/// Tests of the exporters: they set process environment variables the exporter reads, and OpenTelemetry
/// listens to activity sources and meters process-wide, so they run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryExporters : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Telemetry exporters";
}
