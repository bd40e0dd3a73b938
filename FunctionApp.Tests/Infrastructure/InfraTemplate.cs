using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// The app settings infra/main.bicep deploys, read from <c>bicep build</c>'s ARM JSON when the Bicep
/// CLI is installed (infra/validate.sh puts it in .tools/bin; BICEP_CLI overrides), and otherwise
/// from the Bicep text. The JSON is evaluated with given parameters, so names built in loops
/// (<c>Prewarm__Targets__0__Scopes__{j}</c>) come out as a deployment would set them.
/// </summary>
internal static partial class InfraTemplate
{
    public const string Compiled = "compiled";
    public const string Text = "text";

    /// <summary>The parameters the tests deploy with: one client with a caller, a managed-identity caller and a pre-warm target.</summary>
    public static IReadOnlyDictionary<string, JsonNode?> TestParameters() => new Dictionary<string, JsonNode?>
    {
        ["environmentName"] = "test",
        ["location"] = "eastus2",
        ["principalId"] = "",
        ["clientName"] = StandIn.ClientName,
        ["clientId"] = StandIn.ClientId,
        ["clientAllowedCallers"] = new JsonArray(new JsonObject
        {
            ["id"] = StandIn.CallerId,
            ["scopes"] = new JsonArray("api://inventory/.default", "api://billing/.default"),
        }),
        ["clientPrewarmScopes"] = new JsonArray("api://inventory/.default"),
        ["clientManagedIdentityCallers"] = new JsonArray(new JsonObject
        {
            ["name"] = "ci",
            ["secretSha256"] = new string('0', 64),
            ["resources"] = new JsonArray("api://inventory"),
        }),
    };

    public static string? BicepCli
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("BICEP_CLI");
            var candidate = string.IsNullOrEmpty(configured) ? Path.Combine(RepositoryRoot.FullPath, ".tools", "bin", "bicep") : configured;
            return File.Exists(candidate) ? candidate : null;
        }
    }

    /// <summary>The sources available here: the Bicep text always, the compiled template when the CLI is installed.</summary>
    public static IEnumerable<string> Sources() => BicepCli is null ? [Text] : [Compiled, Text];

    public static string InfraDirectory => Path.Combine(RepositoryRoot.FullPath, "infra");

    public static IReadOnlyDictionary<string, string?> AppSettings(string source, string? infraDirectory = null, IReadOnlyDictionary<string, JsonNode?>? parameters = null)
    {
        infraDirectory ??= InfraDirectory;
        parameters ??= TestParameters();
        return source == Compiled
            ? FromCompiled(Compile(infraDirectory), parameters)
            : FromText(File.ReadAllText(Path.Combine(infraDirectory, "main.bicep")), parameters);
    }

    /// <summary>Runs <c>bicep build --stdout</c>; any warning or error fails, as in infra/validate.sh.</summary>
    public static JsonObject Compile(string infraDirectory)
    {
        var cli = BicepCli ?? throw new InvalidOperationException("The Bicep CLI is not installed (run infra/validate.sh).");
        var start = new ProcessStartInfo(cli, ["build", Path.Combine(infraDirectory, "main.bicep"), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || DiagnosticLine().IsMatch(stderr))
        {
            throw new InvalidOperationException($"bicep build failed (exit {process.ExitCode}):\n{stderr}");
        }

        return JsonNode.Parse(stdout.Result)!.AsObject();
    }

    /// <summary>Evaluates the <c>properties</c> of the module's Microsoft.Web/sites/config 'appsettings' resource.</summary>
    public static IReadOnlyDictionary<string, string?> FromCompiled(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var main = new ArmExpressionEvaluator(template, parameters, ModuleOutput);
        foreach (var (_, module) in template["resources"]!.AsObject())
        {
            var inner = module?["properties"]?["template"];
            var resources = inner?["resources"] switch
            {
                JsonObject symbolic => symbolic.Select(r => r.Value),
                JsonArray array => array.AsEnumerable(),
                _ => [],
            };
            var config = resources.FirstOrDefault(r =>
                (string?)r?["type"] == "Microsoft.Web/sites/config" && ((string?)r?["name"] ?? "").Contains("appsettings", StringComparison.Ordinal));
            if (config is null)
            {
                continue;
            }

            // properties: [parameters('appSettings')] inside the module; its value is main's expression.
            var reference = ParameterReference().Match((string?)config["properties"] ?? "");
            var value = reference.Success
                ? module!["properties"]!["parameters"]![reference.Groups[1].Value]!["value"]
                : config["properties"];
            return main.Evaluate(value)!.AsObject().ToDictionary(
                p => p.Key, p => (string?)ArmExpressionEvaluator.Stringify(p.Value), StringComparer.OrdinalIgnoreCase);
        }

        throw new InvalidOperationException("No module of the template sets Microsoft.Web/sites/config 'appsettings'.");
    }

    /// <summary>
    /// The settings as main.bicep's text names them: object keys and toObject key lambdas that look like
    /// setting names. <c>${param}</c> is the parameter's value (else 0); a value is known when it is a
    /// parameter or string(parameter), null otherwise.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> FromText(string bicep, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var defaults = ParamDeclaration().Matches(bicep).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Trim(), StringComparer.Ordinal);

        string? ParameterValue(string name)
        {
            if (parameters.TryGetValue(name, out var given))
            {
                return given is JsonValue ? ArmExpressionEvaluator.Stringify(given) : null;
            }

            return defaults.TryGetValue(name, out var literal) ? Literal(literal) : null;
        }

        string? Value(string expression)
        {
            var match = ValueExpression().Match(expression.Trim());
            return match.Success ? ParameterValue(match.Groups["param"].Value) : null;
        }

        string Name(string key) => Interpolation().Replace(key, m => ParameterValue(m.Groups[1].Value) is { Length: > 0 } v ? v : "0");

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in SettingEntry().Matches(bicep))
        {
            settings[Name(m.Groups["key"].Value)] = Value(m.Groups["value"].Value);
        }

        foreach (Match m in LambdaKey().Matches(bicep))
        {
            settings.TryAdd(Name(m.Groups["key"].Value), null);
        }

        return settings;
    }

    private static string? Literal(string text) => text switch
    {
        ['\'', .., '\''] => text[1..^1].Replace("\\'", "'", StringComparison.Ordinal),
        "true" => "True",
        "false" => "False",
        _ when int.TryParse(text, out _) => text,
        _ => null,
    };

    public static JsonNode? ModuleOutput(string module, string output) => (module, output) switch
    {
        ("identity", "clientId") => StandIn.IdentityClientId,
        ("identity", "principalId") => StandIn.IdentityPrincipalId,
        ("identity", "id") => "/subscriptions/s/resourceGroups/rg-test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test",
        ("storage", "name") => StandIn.StorageAccount,
        ("keyvault" or "vault", "uri") => StandIn.VaultUri,
        ("monitoring", "connectionString") => "InstrumentationKey=stand-in;IngestionEndpoint=https://eastus2.in.applicationinsights.azure.com/",
        _ => $"<{module}.{output}>",
    };

    [GeneratedRegex(@"(^|[ :])(Warning|Error) ", RegexOptions.Multiline)]
    private static partial Regex DiagnosticLine();

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"^param (?<name>\w+) [\w\[\]]+ = (?<value>.+)$", RegexOptions.Multiline)]
    private static partial Regex ParamDeclaration();

    // An object entry whose key is a setting name: Http__AttemptTimeout: ..., 'Clients__${clientName}__ClientId': ...
    [GeneratedRegex(@"^\s*(\{\s*)?'?(?<key>(?:[A-Za-z][A-Za-z0-9]*__[A-Za-z0-9_${}]+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+))'?\s*:\s*(?<value>[^\n}]+)", RegexOptions.Multiline)]
    private static partial Regex SettingEntry();

    // The key lambda of toObject: j => 'Prewarm__Targets__0__Scopes__${j}'
    [GeneratedRegex(@"=>\s*'(?<key>[A-Za-z][A-Za-z0-9]*__[A-Za-z0-9_${}]+)'")]
    private static partial Regex LambdaKey();

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"^(?:string\()?(?<param>\w+)\)?$")]
    private static partial Regex ValueExpression();
}
