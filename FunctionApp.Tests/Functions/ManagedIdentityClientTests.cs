using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>
/// The real SDK clients against the managed-identity endpoint over HTTP: .NET's Azure.Identity reads
/// the two variables from the process environment, so these tests run alone (no other test's
/// credential may see them), set the variables only around each call, and give the credential a
/// transport that refuses every host but loopback — it can never reach the instance metadata service.
/// </summary>
[Collection(ManagedIdentityClients.Name)]
public sealed class ManagedIdentityClientTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _resource = $"api://inventory-{Guid.NewGuid():N}";
    private EntraScenario _scenario = null!;
    private IdentitySecret _caller = null!;
    private AppProcess _app = null!;
    private ManagedIdentityServer _server = null!;

    private string Scope => _resource + "/.default";

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _caller = IdentitySecret.Create("sdk", _resource);
        _caller.Configure(_scenario.Settings, EntraScenario.Client, 0);
        _app = _scenario.StartProcess();
        _server = await ManagedIdentityServer.StartAsync(_app);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _app.DisposeAsync();
        await _scenario.DisposeAsync();
    }

    [Fact]
    public async Task Dotnet_and_javascript_clients_get_the_same_token_from_one_entra_call()
    {
        var dotnet = await WithIdentityVariables(null, () => new ManagedIdentityCredential(
            new ManagedIdentityCredentialOptions(ManagedIdentityId.SystemAssigned) { Transport = LoopbackTransport() }).GetTokenAsync(new TokenRequestContext([Scope])).AsTask());
        var javascript = await NodeManagedIdentityClient.GetTokenAsync(_server.Endpoint(EntraScenario.Client), _caller.Secret, Scope);
        var defaultCredential = await WithIdentityVariables(_scenario.ClientId, () => DefaultCredential().GetTokenAsync(new TokenRequestContext([Scope])).AsTask());
        var served = await _app.GetManagedIdentityTokenAsync(EntraScenario.Client, $"api-version=2019-08-01&resource={_resource}", _caller.Secret);

        Assert.Contains(dotnet.Token, _scenario.Entra.IssuedTokens);
        Assert.True(javascript.Ok, $"{javascript.Name}: {javascript.Message}");
        Assert.Equal(Sha256(dotnet.Token), javascript.Sha256);
        // JavaScript reads only expires_on, epoch seconds as a string. The same token's expiry can read a
        // second apart between the core's cache layers (Entra's expires_in against the clock, or whole
        // seconds from the Table), hence the one-second range.
        var servedExpiry = long.Parse(served.Text("expires_on")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, javascript.ExpiresOnTimestamp % 1000);
        Assert.InRange(javascript.ExpiresOnTimestamp!.Value / 1000, servedExpiry - 1, servedExpiry + 1);
        Assert.Equal(dotnet.Token, defaultCredential.Token);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal(1, _scenario.Entra.TokenCalls());
        Assert.Equal(Scope, Assert.Single(_scenario.Entra.TokenRequests).Form["scope"]);
    }

    [Fact]
    public async Task Another_identity_named_by_any_client_fails_fast_with_400_and_is_not_retried()
    {
        var other = Guid.NewGuid().ToString();

        var fromDefault = await Assert.ThrowsAnyAsync<AuthenticationFailedException>(() =>
            WithIdentityVariables(other, () => DefaultCredential().GetTokenAsync(new TokenRequestContext([Scope])).AsTask()));
        var afterDefault = _server.Requests.Count;
        var fromObjectId = await Assert.ThrowsAnyAsync<AuthenticationFailedException>(() => WithIdentityVariables(null, () => new ManagedIdentityCredential(
            new ManagedIdentityCredentialOptions(ManagedIdentityId.FromUserAssignedObjectId(other)) { Transport = LoopbackTransport() }).GetTokenAsync(new TokenRequestContext([Scope])).AsTask()));
        var afterObjectId = _server.Requests.Count;
        var fromJavascript = await NodeManagedIdentityClient.GetTokenAsync(_server.Endpoint(EntraScenario.Client), _caller.Secret, Scope, other);

        Assert.Equal(400, StatusOf(fromDefault));
        Assert.Contains("client_id names another identity", fromDefault.Message, StringComparison.Ordinal);
        Assert.Equal(1, afterDefault);
        Assert.Equal(400, StatusOf(fromObjectId));
        Assert.Contains("object_id is not supported", fromObjectId.Message, StringComparison.Ordinal);
        Assert.Equal(2, afterObjectId);
        Assert.False(fromJavascript.Ok);
        Assert.Contains("client_id names another identity", fromJavascript.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Contains(other, r, StringComparison.Ordinal));
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_once_with_401_and_not_retried()
    {
        var javascript = await NodeManagedIdentityClient.GetTokenAsync(_server.Endpoint(EntraScenario.Client), "not-the-secret", Scope);
        var dotnet = await Assert.ThrowsAnyAsync<AuthenticationFailedException>(() => WithIdentityVariables(null, () => new ManagedIdentityCredential(
            new ManagedIdentityCredentialOptions(ManagedIdentityId.SystemAssigned) { Transport = LoopbackTransport() }).GetTokenAsync(new TokenRequestContext([Scope])).AsTask(), "not-the-secret"));

        Assert.False(javascript.Ok);
        Assert.Equal(401, StatusOf(dotnet));
        Assert.Contains("X-IDENTITY-HEADER is wrong", dotnet.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    private DefaultAzureCredential DefaultCredential() => new(new DefaultAzureCredentialOptions
    {
        Transport = LoopbackTransport(),
        ExcludeEnvironmentCredential = true,
        ExcludeWorkloadIdentityCredential = true,
        ExcludeVisualStudioCredential = true,
        ExcludeVisualStudioCodeCredential = true,
        ExcludeAzureCliCredential = true,
        ExcludeAzurePowerShellCredential = true,
        ExcludeAzureDeveloperCliCredential = true,
        ExcludeInteractiveBrowserCredential = true,
    });

    // Every host but loopback is refused before a socket opens.
    private HttpClientTransport LoopbackTransport() => new(new HttpClient(_scenario.Routing.CreateHandler()));

    private async Task<T> WithIdentityVariables<T>(string? azureClientId, Func<Task<T>> call, string? secret = null)
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>
        {
            ["IDENTITY_ENDPOINT"] = _server.Endpoint(EntraScenario.Client),
            ["IDENTITY_HEADER"] = secret ?? _caller.Secret,
            ["AZURE_CLIENT_ID"] = azureClientId,
            ["MSI_ENDPOINT"] = null,
            ["IMDS_ENDPOINT"] = null,
            ["IDENTITY_SERVER_THUMBPRINT"] = null,
        });
        return await call();
    }

    private static int StatusOf(AuthenticationFailedException failure) =>
        Assert.IsType<Microsoft.Identity.Client.MsalServiceException>(failure.InnerException, exactMatch: false).StatusCode;

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>
/// Tests that set process environment variables for an SDK client: they run alone, after the
/// parallel collections, so no other test's credential sees the variables.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ManagedIdentityClients : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Managed-identity clients";
}
