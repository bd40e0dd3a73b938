using System.Net;
using System.Security.Cryptography.X509Certificates;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>Tokens, assertions, secrets and keys never appear in a log line, an exception or an error body.</summary>
[Collection(UsesAzurite.Name)]
public sealed class SecretHygieneTests(AzuriteFixture azurite)
{
    private const string ClientSecret = "client-secret-value-that-must-never-be-logged";

    [Fact]
    public async Task No_signal_of_the_token_paths_carries_a_credential()
    {
        await using var scenario = await KeyVaultScenario.StartAsync(azurite.Server);
        var entra = scenario.Entra.Entra;
        scenario.Entra.Settings["Clients__secretive__ClientId"] = scenario.Entra.ClientId + "-s";
        scenario.Entra.Settings["Clients__secretive__Authority"] = scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Authority"];
        scenario.Entra.Settings["Clients__secretive__ClientSecret"] = ClientSecret;
        scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__EnablePiiLog"] = "false";
        entra.RegisterClient(scenario.Entra.ClientId + "-s", ClientSecret);
        var alice = entra.IssueUserAssertion("alice", scenario.Entra.ClientId);
        var bodies = new List<string>();

        scenario.Entra.Settings["WEBSITE_AUTH_ENABLED"] = "True";
        var identityCaller = IdentitySecret.Create("hygiene", "api://inventory");
        identityCaller.Configure(scenario.Entra.Settings, EntraScenario.Client, 0);
        const string WrongIdentityHeader = "wrong-identity-header-that-must-never-be-logged";
        var principal = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            """{"auth_typ":"aad","claims":[{"typ":"appid","val":"caller-app-7f3e"},{"typ":"oid","val":"caller-object-9a1c"}]}"""));
        await using (var app = scenario.StartProcess())
        {
            using var root = new System.Diagnostics.Activity("secret hygiene").Start();
            using var signals = new CapturedSignals(
                Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TokenFunctions.Telemetry.TokenTelemetry>(app.Services).Meter,
                root.TraceId);
            bodies.Add((await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://with-principal/.default" } },
                new Dictionary<string, string> { ["X-MS-CLIENT-PRINCIPAL"] = principal })).Body);
            // Successes, from Entra and from the cache, for both flows and both credential kinds.
            bodies.Add((await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Body);
            bodies.Add((await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Body);
            bodies.Add((await app.PostTokenAsync("secretive", new { scopes = new[] { EntraScenario.Scope } })).Body);
            bodies.Add((await app.PostOnBehalfOfAsync(EntraScenario.Client, new { scopes = new[] { "api://downstream/read" }, user_assertion = alice })).Body);
            bodies.Add((await app.PostOnBehalfOfAsync(EntraScenario.Client, new { scopes = new[] { "api://downstream/read" }, user_assertion = alice })).Body);

            // The managed-identity endpoint: a valid secret (a token), a wrong one, and a valid one for a resource it may not have.
            bodies.Add((await app.GetManagedIdentityTokenAsync(EntraScenario.Client, "api-version=2019-08-01&resource=api://inventory", identityCaller.Secret)).Body);
            bodies.Add((await app.GetManagedIdentityTokenAsync(EntraScenario.Client, "api-version=2019-08-01&resource=api://inventory", WrongIdentityHeader)).Body);
            bodies.Add((await app.GetManagedIdentityTokenAsync(EntraScenario.Client, "api-version=2019-08-01&resource=api://payroll", identityCaller.Secret)).Body);

            // Failures: Entra refuses the user, the secret, and throttles.
            entra.Fault = request => request.Form.GetValueOrDefault("grant_type") == "client_credentials"
                ? FakeResponse.EntraError(HttpStatusCode.TooManyRequests, "temporarily_unavailable", 50196, "AADSTS50196: Too many requests.")
                    with { Headers = new Dictionary<string, string> { ["Retry-After"] = "5" } }
                : FakeResponse.EntraError(HttpStatusCode.BadRequest, "interaction_required", 50076, "AADSTS50076: MFA required.", claims: "{}");
            bodies.Add((await app.PostOnBehalfOfAsync(EntraScenario.Client, new { scopes = new[] { "api://other/read" }, user_assertion = alice })).Body);
            bodies.Add((await app.PostTokenAsync("secretive", new { scopes = new[] { "api://other/.default" } })).Body);
            entra.Fault = null;
            entra.RegisterClient(scenario.Entra.ClientId + "-s", "a-different-secret");
            bodies.Add((await app.PostTokenAsync("secretive", new { scopes = new[] { "api://third/.default" } })).Body);

            // Success bodies carry their token by design; every other body and every log line must not.
            var errorBodies = bodies.Where(b => b.Contains("\"error\"", StringComparison.Ordinal)).ToList();
            Assert.Equal(5, errorBodies.Count);
            Assert.NotEmpty(signals.Measurements);
            Assert.NotEmpty(signals.Activities);
            var texts = app.Logs.Lines.Select(l => $"{l.Category} {l.Message} {l.Exception}").Concat(errorBodies).Concat(signals.AllTagValues).ToList();
            var credentials = entra.IssuedTokens
                .Append(alice)
                .Append(ClientSecret)
                .Append("broker-identity-test-secret")
                .Append(Convert.ToBase64String(scenario.Entra.Certificate.Export(X509ContentType.Pkcs12))[..48])
                .Append(principal)
                .Append("caller-app-7f3e")
                .Append("caller-object-9a1c")
                .Append(identityCaller.Secret)
                .Append(WrongIdentityHeader)
                .ToList();

            foreach (var credential in credentials)
            {
                var leak = texts.FirstOrDefault(s => s.Contains(credential, StringComparison.Ordinal) ||
                                                       (credential.Count(c => c == '.') == 2 && s.Contains(credential.Split('.')[2], StringComparison.Ordinal)));
                Assert.True(leak is null, $"A credential appeared in: {leak?[..Math.Min(300, leak.Length)]}");
            }

            Assert.DoesNotContain(texts, s => s.Contains("PRIVATE KEY", StringComparison.Ordinal));
            Assert.DoesNotContain(texts, s => s.Contains("client_assertion=", StringComparison.Ordinal));
        }
    }
}
