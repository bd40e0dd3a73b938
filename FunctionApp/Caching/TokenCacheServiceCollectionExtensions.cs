using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenFunctions.Credentials;
using TokenFunctions.Settings;

namespace TokenFunctions.Caching;

public static class TokenCacheServiceCollectionExtensions
{
    /// <summary>The named <see cref="HttpClient"/> the Azure SDK's Table client uses.</summary>
    public const string TableHttpClientName = "Tables";

    /// <summary>
    /// The shared token cache: the Table (the Functions host's own storage account), the one gateway to
    /// it, the sealing of entries, the token entries, the broker's records, and the sweep of expired ones.
    /// </summary>
    public static IServiceCollection AddTokenCache(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions(
            configuration.GetSection(TokenCacheOptions.SectionName).Get<TokenCacheOptions>() ?? new(),
            new TokenCacheOptionsAnnotations(), new TokenCacheOptionsValidator(configuration));
        services.AddValidatedOptions(
            new TableStorageOptions
            {
                ConnectionString = configuration[TableStorageOptions.ConnectionSettingName],
                AccountName = configuration[TableStorageOptions.AccountNameSettingName],
                TableServiceUri = configuration[TableStorageOptions.TableServiceUriSettingName],
                ClientId = configuration[TableStorageOptions.ClientIdSettingName],
            },
            new TableStorageOptionsAnnotations());

        services.AddHttpClient(TableHttpClientName).RecycleConnections();
        services.AddSingleton(CreateTableService);
        services.AddSingleton<TableAvailability>();
        services.AddSingleton<BrokerTable>();
        services.AddSingleton<CacheEntryCipher>();
        services.AddSingleton<TokenCacheTable>();
        services.AddSingleton<BrokerRecords>();
        services.AddSingleton<ExpiredEntrySweeper>();
        services.AddHostedService<TableQueryWarmup>();
        return services;
    }

    private static TableServiceClient CreateTableService(IServiceProvider services)
    {
        var storage = services.GetRequiredService<IOptions<TableStorageOptions>>().Value;
        var cache = services.GetRequiredService<IOptions<TokenCacheOptions>>().Value;
        var http = services.GetRequiredService<IHttpClientFactory>();
        var tableOptions = new TableClientOptions { Transport = new HttpClientTransport(http.CreateClient(TableHttpClientName)) };

        // A slow Table must not hold a token request hostage: one quick retry inside the operation's
        // time box (TokenCache__OperationTimeout), then the request goes on without it.
        tableOptions.Retry.MaxRetries = 1;
        tableOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
        tableOptions.Retry.NetworkTimeout = cache.OperationTimeout;
        if (storage.IdentityEndpoint is not { } endpoint)
        {
            return new TableServiceClient(storage.ConnectionString, tableOptions);
        }

        // Identity-based, as the host's own AzureWebJobsStorage__accountName: the app's credential, or
        // the user-assigned identity AzureWebJobsStorage__clientId names when it is another one.
        var credentials = services.GetRequiredService<IOptions<CredentialOptions>>().Value;
        var credential = string.IsNullOrEmpty(storage.ClientId) ||
                         string.Equals(storage.ClientId, credentials.ManagedIdentityClientId, StringComparison.OrdinalIgnoreCase)
            ? services.GetRequiredService<TokenCredential>()
            : AzureCredentialFactory.Create(
                services.GetRequiredService<IConfiguration>(), new CredentialOptions { ManagedIdentityClientId = storage.ClientId }, http);
        return new TableServiceClient(endpoint, credential, tableOptions);
    }
}
