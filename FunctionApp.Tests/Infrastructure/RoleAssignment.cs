namespace TokenFunctions.Tests.Infrastructure;

/// <summary>A role assignment a deployment makes: who, which role definition (its id) and the type of the resource it is scoped to.</summary>
internal sealed record RoleAssignment(string Principal, string RoleDefinitionId, string ScopeType);
