using System.Text.Json.Nodes;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// infra/ grants each identity exactly the roles docs/deploy.md lists, each on the one resource that
/// needs it, with role definition ids that exist. Run over the compiled template when the Bicep CLI is
/// installed, and over the Bicep text.
/// </summary>
public sealed class RoleAssignmentTests
{
    public static TheoryData<string> Sources() => new(InfraTemplate.Sources());

    [Theory]
    [MemberData(nameof(Sources))]
    public void Each_identity_holds_exactly_its_roles_each_on_the_one_resource_that_needs_it(string source)
    {
        var assignments = InfraRoles.Assignments(source, parameters: WithDeployer());

        Assert.Empty(RoleContract.Check(assignments, deployerNamed: true));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Without_a_deployer_principal_only_the_app_identity_is_granted_roles(string source)
    {
        var assignments = InfraRoles.Assignments(source);

        Assert.Empty(RoleContract.Check(assignments, deployerNamed: false));
        Assert.All(assignments, a => Assert.Equal(InfraRoles.AppIdentity, a.Principal));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void The_cache_table_role_widened_to_the_storage_account_is_caught(string source)
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.Edit(Path.Combine("app", "roles.bicep"), bicep => bicep.Replace(
            "  scope: storage::tableService::tokenCache\n", "  scope: storage\n", StringComparison.Ordinal));

        var problems = RoleContract.Check(InfraRoles.Assignments(source, copy.Path, WithDeployer()), deployerNamed: true);

        Assert.Equal(
            [
                "app identity: Storage Table Data Contributor on Microsoft.Storage/storageAccounts is not in the contract (a wider scope than needed, or a new role: then say why in infra/app/roles.bicep and docs/deploy.md, and add it here).",
                "app identity: Storage Table Data Contributor on Microsoft.Storage/storageAccounts/tableServices/tables is missing.",
            ],
            problems);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_role_definition_id_that_is_no_built_in_role_is_caught(string source)
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.Edit(Path.Combine("app", "roles.bicep"), bicep => bicep.Replace(
            "'4633458b-17de-408a-b874-0445c86b69e6'", "'4633458b-17de-408a-b874-0445c86b69e7'", StringComparison.Ordinal));

        var problems = RoleContract.Check(InfraRoles.Assignments(source, copy.Path, WithDeployer()), deployerNamed: true);

        Assert.Equal(
            [
                "app identity: role definition 4633458b-17de-408a-b874-0445c86b69e7 on Microsoft.KeyVault/vaults is no built-in role (the deployment would fail with RoleDefinitionDoesNotExist).",
                "app identity: Key Vault Secrets User on Microsoft.KeyVault/vaults is missing.",
            ],
            problems);
    }

    private static Dictionary<string, JsonNode?> WithDeployer() =>
        new(InfraTemplate.TestParameters()) { ["principalId"] = StandIn.DeployerPrincipalId };
}
