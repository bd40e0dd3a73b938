namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// The role assignments infra/ must make, and nothing more: docs/deploy.md's roles table, each role on
/// the one resource that needs it. A role on a wider scope than listed, a role not listed, a listed one
/// missing, or a role definition id that is no built-in role (the deployment would fail with
/// RoleDefinitionDoesNotExist) is a problem.
/// </summary>
internal static class RoleContract
{
    private const string StorageAccount = "Microsoft.Storage/storageAccounts";
    private const string Table = "Microsoft.Storage/storageAccounts/tableServices/tables";
    private const string Vault = "Microsoft.KeyVault/vaults";
    private const string ApplicationInsights = "Microsoft.Insights/components";

    /// <summary>Microsoft's published ids of the built-in roles infra/ uses or could plausibly be given, transcribed
    /// here independently of infra/app/roles.bicep so that a mistyped id there is caught.</summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltInRoles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["17d1049b-9a84-46fb-8f53-869881c3d3ab"] = "Storage Account Contributor",
        ["db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"] = "Key Vault Certificate User",
        ["12338af0-0e69-4776-bea7-57ae8d297424"] = "Key Vault Crypto User",
        ["14b46e9e-c2b7-41b4-b07b-48a6ebf60603"] = "Key Vault Crypto Officer",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["a4417e6f-fecd-4de8-b567-7b0420556985"] = "Key Vault Certificates Officer",
        ["b86a8fe4-44ce-4948-aee5-eccb2c155cd7"] = "Key Vault Secrets Officer",
        ["00482a5a-887f-4fb3-b363-3b7fe8e74483"] = "Key Vault Administrator",
        ["21090545-7ca7-4776-b22c-e363652d74d2"] = "Key Vault Reader",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
        ["b24988ac-6180-42a0-ab88-20f7382dd24c"] = "Contributor",
        ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] = "Owner",
    };

    /// <summary>Who holds which role on which type of resource. The deployer's roles exist only when azd names the deployer.</summary>
    public static readonly IReadOnlyList<(string Principal, string Role, string ScopeType)> Expected =
    [
        (InfraRoles.AppIdentity, "Storage Blob Data Owner", StorageAccount),
        (InfraRoles.AppIdentity, "Storage Table Data Contributor", Table),
        (InfraRoles.AppIdentity, "Key Vault Certificate User", Vault),
        (InfraRoles.AppIdentity, "Key Vault Secrets User", Vault),
        (InfraRoles.AppIdentity, "Monitoring Metrics Publisher", ApplicationInsights),
        (InfraRoles.Deployer, "Key Vault Certificates Officer", Vault),
        (InfraRoles.Deployer, "Key Vault Secrets Officer", Vault),
    ];

    /// <summary>Only when a client signs its assertions inside Key Vault: signing with the vault's keys.</summary>
    public static readonly IReadOnlyList<(string Principal, string Role, string ScopeType)> ExpectedWhenSigningInKeyVault =
    [
        (InfraRoles.AppIdentity, "Key Vault Crypto User", Vault),
    ];

    public static IReadOnlyList<string> Check(IReadOnlyList<RoleAssignment> assignments, bool deployerNamed, bool signingInKeyVault = false)
    {
        var problems = assignments
            .Where(a => !BuiltInRoles.ContainsKey(a.RoleDefinitionId))
            .Select(a => $"{a.Principal}: role definition {a.RoleDefinitionId} on {a.ScopeType} is no built-in role (the deployment would fail with RoleDefinitionDoesNotExist).")
            .ToList();
        var actual = assignments
            .Where(a => BuiltInRoles.ContainsKey(a.RoleDefinitionId))
            .Select(a => (a.Principal, Role: BuiltInRoles[a.RoleDefinitionId], a.ScopeType))
            .ToList();
        var expected = Expected.Where(e => deployerNamed || e.Principal != InfraRoles.Deployer)
            .Concat(signingInKeyVault ? ExpectedWhenSigningInKeyVault : [])
            .ToList();

        problems.AddRange(actual.Except(expected).Select(a =>
            $"{a.Principal}: {a.Role} on {a.ScopeType} is not in the contract (a wider scope than needed, or a new role: then say why in infra/app/roles.bicep and docs/deploy.md, and add it here)."));
        problems.AddRange(expected.Except(actual).Select(e => $"{e.Principal}: {e.Role} on {e.ScopeType} is missing."));
        problems.AddRange(actual.GroupBy(a => a).Where(g => g.Count() > 1).Select(g => $"{g.Key.Principal}: {g.Key.Role} on {g.Key.ScopeType} is assigned {g.Count()} times."));
        return problems;
    }
}
