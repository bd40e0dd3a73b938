using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// In Azure the storage account has shared keys disabled: the cache reaches its Table with the app's
/// identity through the host's own identity-based settings (AzureWebJobsStorage__accountName).
/// </summary>
public sealed class IdentityStorageStartupTests
{
    private static Dictionary<string, string?> Settings() => new()
    {
        ["AzureWebJobsStorage__accountName"] = "sttokens",
        ["AzureWebJobsStorage__credential"] = "managedidentity",
        ["AzureWebJobsStorage__clientId"] = "33333333-3333-3333-3333-333333333333",
        ["AZURE_CLIENT_ID"] = "33333333-3333-3333-3333-333333333333",
        ["Clients__orders__ClientId"] = "00000000-0000-0000-0000-000000000001",
        ["Clients__orders__Authority"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        ["Clients__orders__ClientSecret"] = "not-used",
        ["TokenCache__EncryptionKey"] = Convert.ToBase64String(new byte[32]),
    };

    [Fact]
    public async Task An_account_name_without_a_connection_string_starts_with_the_table_endpoint_of_that_account()
    {
        await using var app = AppProcess.Start(Settings(), new LoopbackRouting());

        var tables = app.Services.GetRequiredService<TableServiceClient>();
        _ = app.Clients.Names;

        Assert.Equal(new Uri("https://sttokens.table.core.windows.net/"), tables.Uri);
        Assert.Equal("sttokens", tables.AccountName);
        Assert.Empty(app.Requests.Entries);
    }

    [Fact]
    public async Task A_table_service_uri_names_the_endpoint_of_another_cloud()
    {
        var settings = Settings();
        settings.Remove("AzureWebJobsStorage__accountName");
        settings["AzureWebJobsStorage__tableServiceUri"] = "https://sttokens.table.core.chinacloudapi.cn";

        await using var app = AppProcess.Start(settings, new LoopbackRouting());

        Assert.Equal(new Uri("https://sttokens.table.core.chinacloudapi.cn/"), app.Services.GetRequiredService<TableServiceClient>().Uri);
        Assert.Empty(app.Requests.Entries);
    }

    [Fact]
    public async Task A_storage_identity_other_than_the_apps_gets_its_own_credential_without_a_request()
    {
        var settings = Settings();
        settings["AzureWebJobsStorage__clientId"] = "66666666-6666-6666-6666-666666666666";

        await using var app = AppProcess.Start(settings, new LoopbackRouting());

        Assert.Equal("sttokens", app.Services.GetRequiredService<TableServiceClient>().AccountName);
        Assert.Empty(app.Requests.Entries);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__accountName", null, "AzureWebJobsStorage is required")]
    [InlineData("AzureWebJobsStorage__accountName", null, "AzureWebJobsStorage__accountName")]
    [InlineData("AzureWebJobsStorage__accountName", "St-Tokens", "AzureWebJobsStorage__accountName must be a storage account name")]
    [InlineData("AzureWebJobsStorage__tableServiceUri", "http://sttokens.table.core.windows.net", "AzureWebJobsStorage__tableServiceUri must be")]
    public void Without_a_usable_storage_setting_the_app_stops_at_start_naming_it(string setting, string? value, string message)
    {
        var settings = Settings();
        settings[setting] = value;

        var failure = Assert.Throws<OptionsValidationException>(() => AppProcess.Start(settings, new LoopbackRouting()));

        Assert.Contains(failure.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }
}
