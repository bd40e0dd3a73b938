using TokenFunctions.Tests.Functions;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// Infra deploys managed-identity callers under the names the code reads, and keeps their endpoint
/// reachable when App Service Authentication stands in front of the app: the SDKs cannot present an
/// Entra token, so the route must be one of its excluded paths.
/// </summary>
public sealed class InfraManagedIdentityTests
{
    [Theory]
    [MemberData(nameof(InfraConsistencyTests.Sources), MemberType = typeof(InfraConsistencyTests))]
    public void Infra_sets_the_first_clients_managed_identity_callers_under_the_names_the_code_reads(string source)
    {
        var settings = InfraTemplate.AppSettings(source);
        var prefix = $"Clients__{StandIn.ClientName}__ManagedIdentityCallers__0__";

        string[] expected = [prefix + "Name", prefix + "SecretSha256", prefix + "Resources__0"];
        Assert.All(expected, name => Assert.True(settings.ContainsKey(name), $"{name}: infra does not set it"));
        Assert.All(expected, name => Assert.True(CodeSettings.IsKnown(name), $"{name}: the code does not read it"));
        if (source == InfraTemplate.Compiled)
        {
            Assert.Equal("api://inventory", settings[prefix + "Resources__0"]);
        }
    }

    [Fact]
    public void With_app_service_authentication_the_managed_identity_route_is_an_excluded_path()
    {
        var route = HostRouting.HttpFunctions.Single(f => f.Name == "AcquireTokenForManagedIdentity").Route;
        var main = File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "main.bicep"));
        var function = File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "app", "function.bicep"));

        // main.bicep hands the function the first client and every client listed in authManagedIdentityClients ...
        Assert.Contains("authManagedIdentityClients: union([clientName], authManagedIdentityClients)", main, StringComparison.Ordinal);

        // ... and function.bicep excludes each one's route beside health, in the authsettingsV2 it deploys.
        Assert.Contains(
            $"var authExcludedPaths = concat(['/api/health'], map(authManagedIdentityClients, client => '/api/{route.Replace("{client}", "${client}", StringComparison.Ordinal)}'))",
            function,
            StringComparison.Ordinal);
        var authSettings = function[function.IndexOf("'authsettingsV2'", StringComparison.Ordinal)..];
        Assert.Contains("excludedPaths: authExcludedPaths", authSettings, StringComparison.Ordinal);
    }
}
