using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using Microsoft.Identity.Web.TokenCacheProviders;
using Microsoft.Identity.Web.TokenCacheProviders.Distributed;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;
using TokenFunctions.Tokens;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// How each contender is built for one app registration, from the Function App's own settings
/// (named as in the environment) and the loopback routing: the token core (a new "Functions
/// instance" each time), raw MSAL.NET, and MSAL with Microsoft.Identity.Web's distributed adapter
/// over the same Azurite. Every HttpClient goes through <see cref="LoopbackRouting"/>.
/// </summary>
internal sealed class Contenders
{
    public const string Client = EntraScenario.Client;
    public const string Scope = EntraScenario.Scope;

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly LoopbackRouting _routing;
    private readonly Lazy<X509Certificate2> _certificate;

    public Contenders(IReadOnlyDictionary<string, string?> settings, LoopbackRouting routing)
    {
        _settings = settings;
        _routing = routing;
        _certificate = new Lazy<X509Certificate2>(() =>
            X509CertificateLoader.LoadPkcs12FromFile(Setting($"Clients__{Client}__Certificate__Path"), Setting($"Clients__{Client}__Certificate__Password")));
    }

    public IReadOnlyDictionary<string, string?> Settings => _settings;

    private string ClientId => Setting($"Clients__{Client}__ClientId");

    private string Authority => Setting($"Clients__{Client}__Authority");

    private string StorageConnectionString => Setting("AzureWebJobsStorage");

    public static string NewTableName() => "b" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// A new instance of the Function App's token core over <paramref name="table"/>: the same
    /// registration <c>Program.cs</c> uses (through the test rig's <see cref="AppProcess"/>), logging
    /// at Information as the Functions host does, with its Table requests counted. With
    /// <paramref name="azureRegion"/>, the client's <c>AzureRegion</c> setting names that region.
    /// </summary>
    public AppProcess StartCore(string table, TableTraffic traffic, string? azureRegion = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>(_settings) { ["TokenCache__TableName"] = table };
        if (azureRegion is not null)
        {
            settings[$"Clients__{Client}__AzureRegion"] = azureRegion;
        }

        // Built as the Functions host builds it in Production (Azure's default): no validation of every
        // registration when the container is built; the options are still validated at start.
        return AppProcess.Start(settings, _routing, time, configure: services =>
        {
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information));
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName)
                .AddHttpMessageHandler(traffic.CreateHandler);
        }, validateOnBuild: false);
    }

    public static ConfidentialClient ClientOf(AppProcess process) =>
        process.Clients.TryGet(Client, out var client) ? client : throw new InvalidOperationException($"Client {Client} is not configured.");

    /// <summary>MSAL's HttpClient, routed; HttpClient's default timeout (100 s) unless <paramref name="timeout"/> is given.</summary>
    public RoutedMsalHttpClientFactory NewMsalHttpClientFactory(TimeSpan? timeout = null) => new(_routing, timeout);

    /// <summary>
    /// A plain MSAL.NET confidential client for the same app registration, with MSAL's default
    /// in-memory token cache, as its documentation builds one; with <paramref name="azureRegion"/>,
    /// <c>WithAzureRegion(azureRegion)</c>, as MSAL's documentation enables regional endpoints.
    /// </summary>
    public IConfidentialClientApplication NewMsalApplication(RoutedMsalHttpClientFactory http, string? azureRegion = null)
    {
        var builder = ConfidentialClientApplicationBuilder.Create(ClientId)
            .WithAuthority(Authority)
            .WithCertificate(_certificate.Value)
            .WithHttpClientFactory(http);
        if (azureRegion is not null)
        {
            builder = builder.WithAzureRegion(azureRegion);
        }

        return builder.Build();
    }

    /// <summary>The HttpClient of the baseline's Table client: a new one per instance, routed, counted.</summary>
    public HttpClient NewTableHttpClient(TableTraffic traffic)
    {
        var handler = traffic.CreateHandler();
        handler.InnerHandler = _routing.CreateHandler();
        return new HttpClient(handler);
    }

    /// <summary>A Table client for the baseline's distributed cache, with the core's retry and timeout.</summary>
    public TableClient NewTableClient(string table, HttpClient http)
    {
        var options = new TableClientOptions { Transport = new HttpClientTransport(http) };
        options.Retry.MaxRetries = 2;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        return new TableClient(StorageConnectionString, table, options);
    }

    /// <summary>Creates a table ahead of a measurement, as a deployed app has its table already.</summary>
    public async Task CreateTableAsync(string table)
    {
        using var http = NewTableHttpClient(new TableTraffic());
        await NewTableClient(table, http).CreateIfNotExistsAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Binds Microsoft.Identity.Web's distributed adapter (L1 memory cache on, default options) to
    /// an MSAL application: what <c>AddDistributedTokenCache</c> resolves, built directly because that
    /// extension keeps one service provider per delegate for the whole process, so a second
    /// "new" application would share the first one's L1.
    /// </summary>
    public static MsalDistributedTokenCacheAdapter AttachIdWebAdapter(IConfidentialClientApplication application, TableDistributedCache cache)
    {
        var adapter = new MsalDistributedTokenCacheAdapter(
            cache,
            Options.Create(new MsalDistributedTokenCacheAdapterOptions()),
            NullLogger<MsalDistributedTokenCacheAdapter>.Instance);
        IMsalTokenCacheProvider provider = adapter;
        provider.Initialize(application.UserTokenCache);
        provider.Initialize(application.AppTokenCache);
        return adapter;
    }

    /// <summary>
    /// The same adapter as an app with a container composes it: a new container with the logging the
    /// core's instance gets, the Table's HttpClient from <see cref="IHttpClientFactory"/> (routed,
    /// counted, and configured as the core's held clients are: its Table client holds it for the life
    /// of the process), Microsoft.Identity.Web's <c>AddDistributedTokenCaches</c> over the same Table
    /// cache, the host's start-up validators run, and a new MSAL application bound to the adapter
    /// resolved from it. What a new instance costs when both sides pay for a container, as both do
    /// in a Functions host.
    /// </summary>
    public (ServiceProvider Services, IConfidentialClientApplication Application) NewIdWebAdapterInContainer(
        string table, TableTraffic traffic, RoutedMsalHttpClientFactory msalHttp)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(new CapturedLogs()));
        _routing.RouteHttpClients(services);
        services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(traffic.CreateHandler).RecycleConnections();
        services.AddDistributedTokenCaches();
        services.AddSingleton<IDistributedCache>(sp => new TableDistributedCache(
            NewTableClient(table, sp.GetRequiredService<IHttpClientFactory>().CreateClient(TokenCacheServiceCollectionExtensions.TableHttpClientName)), TimeProvider.System, false));
        var provider = services.BuildServiceProvider();
        provider.GetService<IStartupValidator>()?.Validate();
        var application = NewMsalApplication(msalHttp);
        var cache = provider.GetRequiredService<IMsalTokenCacheProvider>();
        cache.Initialize(application.UserTokenCache);
        cache.Initialize(application.AppTokenCache);
        return (provider, application);
    }

    private string Setting(string name) =>
        _settings.TryGetValue(name, out var value) && value is not null ? value : throw new InvalidOperationException($"Setting {name} is missing.");
}
