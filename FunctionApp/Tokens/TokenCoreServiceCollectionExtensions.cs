using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

public static class TokenCoreServiceCollectionExtensions
{
    /// <summary>The named <see cref="HttpClient"/> the Azure SDK's Table client uses.</summary>
    public const string TableHttpClientName = "Tables";

    /// <summary>
    /// Registers the token core: options (validated at start-up), the Table cache, MSAL's HTTP
    /// plumbing, and every configured client. The Functions app and the tests call this alike.
    /// </summary>
    public static IServiceCollection AddTokenCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(configuration);

        services.AddOptions<TokenCoreOptions>()
            .Bind(configuration)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenCoreOptions>, TokenCoreOptionsValidator>();

        services.AddOptions<TokenCacheOptions>()
            .Bind(configuration.GetSection(TokenCacheOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenCacheOptions>>(new TokenCacheOptionsValidator(configuration));

        services.AddOptions<EntraHttpOptions>()
            .Bind(configuration.GetSection(EntraHttpOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddOptions<TableStorageOptions>()
            .Configure(o =>
            {
                o.ConnectionString = configuration[TableStorageOptions.ConnectionSettingName];
                o.AccountName = configuration[TableStorageOptions.AccountNameSettingName];
                o.TableServiceUri = configuration[TableStorageOptions.TableServiceUriSettingName];
                o.ClientId = configuration[TableStorageOptions.ClientIdSettingName];
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Attempt timeouts are enforced per attempt by the core; HttpClient's own timeout is only a backstop.
        services.AddTransient<InstanceDiscoveryCache>();
        foreach (var name in new[] { EntraHttpOptions.ClientName, EntraHttpOptions.RegionalClientName })
        {
            services.AddHttpClient(name)
                .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<EntraHttpOptions>>().Value.RequestBudget)
                .AddHttpMessageHandler<InstanceDiscoveryCache>();
        }

        services.AddHttpClient(EntraHttpOptions.ImdsClientName);
        services.AddOptions<Prewarming.PrewarmOptions>()
            .Bind(configuration.GetSection(Prewarming.PrewarmOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<Prewarming.PrewarmOptions>, Prewarming.PrewarmOptionsValidator>();
        services.AddSingleton<ExpiredEntrySweeper>();
        services.AddSingleton(sp => new Prewarming.TokenPrewarmer(
            sp.GetRequiredService<ConfidentialClients>(),
            sp.GetRequiredService<IOptions<Prewarming.PrewarmOptions>>(),
            sp.GetRequiredService<ExpiredEntrySweeper>(),
            sp.GetRequiredService<Diagnostics.TokenTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Prewarming.TokenPrewarmer>>()));
        services.AddSingleton<RegionResolver>();
        services.AddSingleton<Callers.CallerPolicy>();
        services.AddSingleton<EntraThrottle>();
        services.AddMetrics();
        services.AddSingleton<Diagnostics.TokenTelemetry>();
        services.AddSingleton(sp => new Diagnostics.HealthProbe(
            sp.GetRequiredService<ConfidentialClients>(), sp.GetRequiredService<TokenCacheTable>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHttpClient(TableHttpClientName);
        services.AddHttpClient(AzureCredentialFactory.HttpClientName);
        services.AddHttpClient(CertificateSourceFactory.KeyVaultHttpClientName);

        services.AddOptions<CredentialOptions>()
            .Bind(configuration.GetSection(CredentialOptions.SectionName))
            .Configure(o => o.ManagedIdentityClientId ??= configuration["ManagedIdentity:ClientId"] ?? configuration["AZURE_CLIENT_ID"])
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Tests (and hosts with their own identity) register a TokenCredential before this.
        services.TryAddSingleton(sp => AzureCredentialFactory.Create(
            configuration,
            sp.GetRequiredService<IOptions<CredentialOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>()));
        services.AddSingleton<CertificateSourceFactory>();

        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<TableStorageOptions>>().Value;
            var cache = sp.GetRequiredService<IOptions<TokenCacheOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(TableHttpClientName);
            var tableOptions = new TableClientOptions { Transport = new HttpClientTransport(http) };
            // A slow Table must not hold a token request hostage: one quick retry inside the
            // operation's time box (TokenCache__OperationTimeout), then the request goes on without it.
            tableOptions.Retry.MaxRetries = 1;
            tableOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
            tableOptions.Retry.NetworkTimeout = cache.OperationTimeout;
            if (storage.IdentityEndpoint is not { } endpoint)
            {
                return new TableServiceClient(storage.ConnectionString, tableOptions);
            }

            // Identity-based, as the host's own AzureWebJobsStorage__accountName: the app's credential,
            // or the user-assigned identity AzureWebJobsStorage__clientId names when it is another one.
            var credentials = sp.GetRequiredService<IOptions<CredentialOptions>>().Value;
            var credential = string.IsNullOrEmpty(storage.ClientId) ||
                             string.Equals(storage.ClientId, credentials.ManagedIdentityClientId, StringComparison.OrdinalIgnoreCase)
                ? sp.GetRequiredService<TokenCredential>()
                : AzureCredentialFactory.Create(
                    configuration,
                    new CredentialOptions { ManagedIdentityClientId = storage.ClientId },
                    sp.GetRequiredService<IHttpClientFactory>());
            return new TableServiceClient(endpoint, credential, tableOptions);
        });

        services.AddSingleton<CacheEntryCipher>();
        services.AddSingleton<TableAvailability>();
        services.AddSingleton<TokenCacheTable>();
        services.AddSingleton<MsalApplicationFactory>();
        services.AddSingleton(sp => new ConfidentialClients(
            sp.GetRequiredService<IOptions<TokenCoreOptions>>(),
            sp.GetRequiredService<IOptions<EntraHttpOptions>>(),
            sp.GetRequiredService<MsalApplicationFactory>(),
            sp.GetRequiredService<CertificateSourceFactory>(),
            sp.GetRequiredService<TokenCacheTable>(),
            sp.GetRequiredService<RegionResolver>(),
            sp.GetRequiredService<EntraThrottle>(),
            sp.GetRequiredService<Diagnostics.TokenTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return services;
    }
}
