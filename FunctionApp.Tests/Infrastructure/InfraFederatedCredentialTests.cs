using System.Text.RegularExpressions;
using TokenFunctions.Credentials;
using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// Infra outputs the three values of the federated identity credential that lets an app registration
/// trust the app's identity (docs/deploy.md): Entra's issuer for the deployment's tenant, the
/// identity's object (principal) id as subject — not its client id, the usual mistake — and the
/// audience the broker asks the identity's token for.
/// </summary>
public sealed partial class InfraFederatedCredentialTests
{
    [Theory]
    [MemberData(nameof(InfraConsistencyTests.Sources), MemberType = typeof(InfraConsistencyTests))]
    public void Infra_outputs_the_federated_credential_that_trusts_the_apps_identity(string source)
    {
        if (source == InfraTemplate.Compiled)
        {
            var template = InfraTemplate.Compile(InfraTemplate.InfraDirectory);
            var evaluator = new ArmExpressionEvaluator(template, InfraTemplate.TestParameters(), InfraTemplate.ModuleOutput);
            string? Output(string name) => (string?)evaluator.Evaluate(template["outputs"]?[name]?["value"]);

            Assert.Equal(FederatedIdentityCredentials.Issuer(StandIn.TenantId), Output("AZURE_FEDERATED_CREDENTIAL_ISSUER"));
            Assert.Equal(StandIn.IdentityPrincipalId, Output("AZURE_FEDERATED_CREDENTIAL_SUBJECT"));
            Assert.Equal(ManagedIdentityAssertionOptions.PublicCloudAudience, Output("AZURE_FEDERATED_CREDENTIAL_AUDIENCE"));
        }
        else
        {
            var outputs = OutputDeclaration().Matches(File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "main.bicep")))
                .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Trim(), StringComparer.Ordinal);

            Assert.Equal("'${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'", outputs["AZURE_FEDERATED_CREDENTIAL_ISSUER"]);
            Assert.Equal("identity.outputs.principalId", outputs["AZURE_FEDERATED_CREDENTIAL_SUBJECT"]);
            Assert.Contains($"'{ManagedIdentityAssertionOptions.PublicCloudAudience}'", outputs["AZURE_FEDERATED_CREDENTIAL_AUDIENCE"], StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"^output (?<name>\w+) string = (?<value>[^\n]+(?:\n  [^\n]+)*)", RegexOptions.Multiline)]
    private static partial Regex OutputDeclaration();
}
