using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// The role assignments infra/ deploys, read like <see cref="InfraTemplate"/> reads the settings: from
/// <c>bicep build</c>'s ARM JSON when the CLI is installed (every module's roleAssignments, conditions
/// evaluated with the given parameters), and otherwise from the text of infra/app/roles.bicep.
/// </summary>
internal static partial class InfraRoles
{
    public const string AppIdentity = "app identity";
    public const string Deployer = "deployer";

    public static IReadOnlyList<RoleAssignment> Assignments(string source, string? infraDirectory = null, IReadOnlyDictionary<string, JsonNode?>? parameters = null)
    {
        infraDirectory ??= InfraTemplate.InfraDirectory;
        parameters ??= InfraTemplate.TestParameters();
        return source == InfraTemplate.Compiled
            ? FromCompiled(InfraTemplate.Compile(infraDirectory), parameters)
            : FromText(
                File.ReadAllText(Path.Combine(infraDirectory, "app", "roles.bicep")),
                File.ReadAllText(Path.Combine(infraDirectory, "main.bicep")),
                parameters);
    }

    public static IReadOnlyList<RoleAssignment> FromCompiled(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var main = new ArmExpressionEvaluator(template, parameters, InfraTemplate.ModuleOutput);
        var assignments = new List<RoleAssignment>();
        foreach (var (_, module) in template["resources"]!.AsObject())
        {
            if (module?["properties"]?["template"] is not JsonObject inner)
            {
                continue;
            }

            var moduleParameters = (module["properties"]!["parameters"]?.AsObject() ?? [])
                .ToDictionary(p => p.Key, p => main.Evaluate(p.Value!["value"]));
            // The only resource whose properties a role assignment reads is the identity it grants to.
            var evaluator = new ArmExpressionEvaluator(inner, moduleParameters, InfraTemplate.ModuleOutput,
                id => new JsonObject { ["principalId"] = id.Contains("/userAssignedIdentities/", StringComparison.Ordinal) ? StandIn.IdentityPrincipalId : null });
            foreach (var resource in Resources(inner).Where(r => (string?)r?["type"] == "Microsoft.Authorization/roleAssignments"))
            {
                if (resource!["condition"] is { } condition && !evaluator.Evaluate(condition)!.GetValue<bool>())
                {
                    continue;
                }

                var roleDefinition = ArmExpressionEvaluator.Stringify(evaluator.Evaluate(resource["properties"]!["roleDefinitionId"]));
                var principal = ArmExpressionEvaluator.Stringify(evaluator.Evaluate(resource["properties"]!["principalId"]));
                assignments.Add(new RoleAssignment(
                    principal switch
                    {
                        StandIn.IdentityPrincipalId => AppIdentity,
                        StandIn.DeployerPrincipalId => Deployer,
                        _ => principal,
                    },
                    roleDefinition[(roleDefinition.LastIndexOf('/') + 1)..],
                    TypeOf(ArmExpressionEvaluator.Stringify(evaluator.Evaluate(resource["scope"])))));
            }
        }

        return assignments;
    }

    /// <summary>
    /// The assignments as roles.bicep's text declares them: <c>scope:</c> names an existing resource of the
    /// file (its type, nested ones included), <c>roles.{key}</c> the role's id in <c>var roles</c>. An
    /// <c>if (!empty(param))</c> or <c>if (flag)</c> is decided by the main.bicep parameter passed to that module parameter.
    /// </summary>
    public static IReadOnlyList<RoleAssignment> FromText(string rolesBicep, string mainBicep, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var roleIds = RoleId().Matches(RolesVariable().Match(rolesBicep).Groups["body"].Value)
            .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["id"].Value, StringComparer.Ordinal);
        var scopes = ExistingResourceTypes(rolesBicep);
        var assignments = new List<RoleAssignment>();
        foreach (Match m in Assignment().Matches(rolesBicep))
        {
            if (m.Groups["condition"].Success && !ConditionHolds(m.Groups["condition"].Value, mainBicep, parameters))
            {
                continue;
            }

            var body = m.Groups["body"].Value;
            var principal = Field(body, "principalId");
            assignments.Add(new RoleAssignment(
                principal switch
                {
                    "identity.properties.principalId" => AppIdentity,
                    "deployerPrincipalId" => Deployer,
                    _ => principal,
                },
                RoleKey().Match(Field(body, "roleDefinitionId")) is { Success: true } key && roleIds.TryGetValue(key.Groups[1].Value, out var id)
                    ? id
                    : throw new InvalidOperationException($"{m.Groups["name"].Value}: its role is not one of var roles."),
                scopes.TryGetValue(Field(body, "scope"), out var type)
                    ? type
                    : throw new InvalidOperationException($"{m.Groups["name"].Value}: its scope is not an existing resource of the file.")));
        }

        return assignments;
    }

    private static IEnumerable<JsonNode?> Resources(JsonObject template) => template["resources"] switch
    {
        JsonObject symbolic => symbolic.Select(r => r.Value),
        JsonArray array => array.AsEnumerable(),
        _ => [],
    };

    /// <summary>/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st/tableServices/default/tables/t: Microsoft.Storage/storageAccounts/tableServices/tables.</summary>
    private static string TypeOf(string resourceId)
    {
        var at = resourceId.LastIndexOf("/providers/", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return resourceId.Contains("/resourceGroups/", StringComparison.OrdinalIgnoreCase) ? "resource group" : "subscription";
        }

        var segments = resourceId[(at + "/providers/".Length)..].Split('/');
        return string.Join('/', segments.Where((_, i) => i == 0 || i % 2 == 1));
    }

    private static string Field(string body, string name) =>
        Regex.Match(body, $@"^\s*{name}: (?<value>.+?)\s*$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups["value"].Value
            : throw new InvalidOperationException($"A role assignment without {name}.");

    /// <summary>symbol (storage::tableService::tokenCache for nested ones) -> resource type, for every existing resource.</summary>
    private static Dictionary<string, string> ExistingResourceTypes(string bicep)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var open = new Stack<(string Symbol, string Type, int Depth)>();
        var depth = 0;
        foreach (var line in bicep.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)))
        {
            while (open.Count > 0 && depth <= open.Peek().Depth)
            {
                open.Pop();
            }

            if (ExistingResource().Match(line) is { Success: true } m)
            {
                var (symbol, type) = open.TryPeek(out var parent)
                    ? ($"{parent.Symbol}::{m.Groups["symbol"].Value}", $"{parent.Type}/{m.Groups["type"].Value}")
                    : (m.Groups["symbol"].Value, m.Groups["type"].Value);
                types[symbol] = type;
                open.Push((symbol, type, depth));
            }

            depth += line.Count(c => c == '{') - line.Count(c => c == '}');
        }

        return types;
    }

    private static bool ConditionHolds(string condition, string mainBicep, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var module = RolesModule().Match(mainBicep).Groups["body"].Value;
        if (Flag().Match(condition) is { Success: true } flag)
        {
            var passedFlag = Regex.Match(module, $@"^\s*{flag.Groups["param"].Value}: (?<main>\w+)\s*$", RegexOptions.Multiline).Groups["main"].Value;
            var flagValue = parameters.TryGetValue(passedFlag, out var givenFlag)
                ? ArmExpressionEvaluator.Stringify(givenFlag)
                : Regex.Match(mainBicep, $@"^param {passedFlag} bool = (?<value>true|false)\s*$", RegexOptions.Multiline).Groups["value"].Value;
            return flagValue.Equals("true", StringComparison.OrdinalIgnoreCase);
        }

        var notEmpty = NotEmpty().Match(condition);
        if (!notEmpty.Success)
        {
            throw new NotSupportedException($"if ({condition}): only if (!empty(parameter)) and if (parameter) are understood here.");
        }

        var passed = Regex.Match(module, $@"^\s*{notEmpty.Groups["param"].Value}: (?<main>\w+)\s*$", RegexOptions.Multiline).Groups["main"].Value;
        var value = parameters.TryGetValue(passed, out var given)
            ? ArmExpressionEvaluator.Stringify(given)
            : Regex.Match(mainBicep, $@"^param {passed} string = '(?<value>[^']*)'", RegexOptions.Multiline).Groups["value"].Value;
        return value.Length > 0;
    }

    [GeneratedRegex(@"^var roles = \{(?<body>[^}]*)\}", RegexOptions.Multiline)]
    private static partial Regex RolesVariable();

    [GeneratedRegex(@"(?<key>\w+): '(?<id>[0-9a-fA-F-]{36})'")]
    private static partial Regex RoleId();

    [GeneratedRegex(@"^resource (?<name>\w+) 'Microsoft\.Authorization/roleAssignments@[^']+' = (?:if \((?<condition>[^\n]*?)\) )?\{(?<body>.*?)^\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"\broles\.(\w+)\)")]
    private static partial Regex RoleKey();

    [GeneratedRegex(@"^\s*resource (?<symbol>\w+) '(?<type>[^'@]+)(?:@[^']*)?' existing = \{")]
    private static partial Regex ExistingResource();

    [GeneratedRegex(@"^!empty\((?<param>\w+)\)$")]
    private static partial Regex NotEmpty();

    [GeneratedRegex(@"^(?<param>\w+)$")]
    private static partial Regex Flag();

    [GeneratedRegex(@"^module roles 'app/roles\.bicep' = \{(?<body>.*?)^\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex RolesModule();
}
