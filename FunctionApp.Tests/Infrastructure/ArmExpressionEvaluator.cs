using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TokenFunctions.Tests.Infrastructure.ArmExpressionParser;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// Evaluates the ARM template expressions <c>bicep build</c> emits (<c>[union(parameters('a'), ...)]</c>)
/// for the handful of functions infra/ uses, with given parameter values and stand-ins for the
/// outputs of modules (<c>reference('storage').outputs.name.value</c>) and the properties of resources
/// (<c>reference(resourceId(...), '2024-11-30').principalId</c>). Resource ids are built in the
/// stand-in subscription and resource group. A function it does not know throws, so a template change
/// that needs one is noticed rather than misread.
/// </summary>
internal sealed class ArmExpressionEvaluator(
    JsonObject template,
    IReadOnlyDictionary<string, JsonNode?> parameters,
    Func<string, string, JsonNode?> moduleOutput,
    Func<string, JsonNode?>? resourceProperties = null)
{
    private readonly Dictionary<string, JsonNode?> _variables = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Evaluates a JSON value: expression strings, and objects and arrays (keys included) that hold them.</summary>
    public JsonNode? Evaluate(JsonNode? node, IReadOnlyDictionary<string, JsonNode?>? lambdaScope = null) => node switch
    {
        JsonValue value when value.TryGetValue(out string? text) && IsExpression(text) =>
            Evaluate(Parse(text[1..^1]), lambdaScope ?? Empty),
        JsonValue value when value.TryGetValue(out string? text) && text.StartsWith("[[", StringComparison.Ordinal) => text[1..],
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(
            Evaluate(JsonValue.Create(p.Key), lambdaScope)!.GetValue<string>(), Evaluate(p.Value, lambdaScope)))),
        JsonArray array => new JsonArray(array.Select(e => Evaluate(e, lambdaScope)).ToArray()),
        _ => node?.DeepClone(),
    };

    private static readonly Dictionary<string, JsonNode?> Empty = new();

    private static bool IsExpression(string text) =>
        text.StartsWith('[') && !text.StartsWith("[[", StringComparison.Ordinal) && text.EndsWith(']');

    private JsonNode? Variable(string name)
    {
        if (!_variables.TryGetValue(name, out var value))
        {
            var definition = template["variables"]?[name] ?? throw new InvalidOperationException($"No variable '{name}' in the template.");
            value = Evaluate(definition);
            _variables[name] = value;
        }

        return value?.DeepClone();
    }

    private JsonNode? Parameter(string name)
    {
        if (parameters.TryGetValue(name, out var given))
        {
            return given?.DeepClone();
        }

        var definition = template["parameters"]?[name] ?? throw new InvalidOperationException($"No parameter '{name}' in the template.");
        return definition["defaultValue"] is { } fallback
            ? Evaluate(fallback)
            : throw new InvalidOperationException($"Parameter '{name}' has no default and no value was given.");
    }

    private JsonNode? Evaluate(Expression expression, IReadOnlyDictionary<string, JsonNode?> scope) => expression switch
    {
        Literal literal => literal.Value?.DeepClone(),
        MemberAccess member => Property(Evaluate(member.Target, scope), member.Name),
        IndexAccess index => Evaluate(index.Key, scope) is JsonValue key && key.TryGetValue(out string? name)
            ? Property(Evaluate(index.Target, scope), name)
            : Evaluate(index.Target, scope)?.AsArray()[Integer(Evaluate(index.Key, scope))]?.DeepClone(),
        Call call => Invoke(call, scope),
        _ => throw new NotSupportedException(expression.ToString()),
    };

    private static JsonNode? Property(JsonNode? target, string name) =>
        target is JsonObject obj && obj.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Key: not null } found
            ? found.Value?.DeepClone()
            : throw new InvalidOperationException($"No property '{name}' on {target?.ToJsonString() ?? "null"}.");

    private JsonNode? Invoke(Call call, IReadOnlyDictionary<string, JsonNode?> scope)
    {
        JsonNode? Arg(int i) => Evaluate(call.Arguments[i], scope);
        List<JsonNode?> Args() => call.Arguments.Select(a => Evaluate(a, scope)).ToList();

        switch (call.Name.ToLowerInvariant())
        {
            case "parameters": return Parameter(Text(Arg(0)));
            case "variables": return Variable(Text(Arg(0)));
            case "reference":
                var target = Text(Arg(0));
                return !target.StartsWith('/') ? ModuleReference(target)
                    : resourceProperties?.Invoke(target) ?? throw new InvalidOperationException($"No stand-in for the properties of {target}.");
            case "resourceid": return ResourceId(Args().Select(Stringify).ToList());
            case "subscriptionresourceid":
                return $"/subscriptions/{StandIn.SubscriptionId}/providers/{Text(Arg(0))}/{string.Join('/', Args().Skip(1).Select(Stringify))}";
            case "lambdavariables":
                return scope.TryGetValue(Text(Arg(0)), out var bound) ? bound?.DeepClone() : throw new InvalidOperationException($"No lambda variable '{Text(Arg(0))}'.");
            case "if": return Truthy(Arg(0)) ? Arg(1) : Arg(2);
            case "not": return !Truthy(Arg(0));
            case "and": return Args().All(Truthy);
            case "or": return Args().Any(Truthy);
            case "equals": return JsonNode.DeepEquals(Arg(0), Arg(1));
            case "empty": return IsEmpty(Arg(0));
            case "true": return true;
            case "false": return false;
            case "null": return null;
            case "string": return Stringify(Arg(0));
            case "tolower": return Text(Arg(0)).ToLowerInvariant();
            case "replace": return Text(Arg(0)).Replace(Text(Arg(1)), Text(Arg(2)), StringComparison.Ordinal);
            case "concat": return string.Concat(Args().Select(Stringify));
            case "format":
                return string.Format(CultureInfo.InvariantCulture, Text(Arg(0)), call.Arguments.Skip(1).Select(a => (object)FormatArgument(Evaluate(a, scope))).ToArray());
            case "uniquestring":
                return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', Args().Select(Stringify)))))[..13];
            case "createobject":
                var created = new JsonObject();
                for (var i = 0; i + 1 < call.Arguments.Count; i += 2)
                {
                    created[Text(Arg(i))] = Arg(i + 1);
                }

                return created;
            case "createarray": return new JsonArray(Args().ToArray());
            case "union": return Args().Aggregate(Union);
            case "range": return new JsonArray(Enumerable.Range(Integer(Arg(0)), Integer(Arg(1))).Select(i => (JsonNode?)i).ToArray());
            case "length":
                return Arg(0) switch
                {
                    JsonArray array => array.Count,
                    JsonObject obj => obj.Count,
                    var text => Text(text).Length,
                };
            case "toobject":
                var result = new JsonObject();
                foreach (var element in Arg(0)!.AsArray())
                {
                    var key = Text(Apply(LambdaArgument(call, 1, scope), element));
                    result[key] = call.Arguments.Count > 2 ? Apply(LambdaArgument(call, 2, scope), element) : element?.DeepClone();
                }

                return result;
            case "reduce":
                var accumulator = Arg(1);
                foreach (var element in Arg(0)!.AsArray())
                {
                    accumulator = Apply(LambdaArgument(call, 2, scope), accumulator, element);
                }

                return accumulator;
            case "tenant": return new JsonObject { ["tenantId"] = StandIn.TenantId };
            case "subscription":
                return new JsonObject { ["id"] = "/subscriptions/" + StandIn.SubscriptionId, ["subscriptionId"] = StandIn.SubscriptionId, ["tenantId"] = StandIn.TenantId };
            case "environment":
                return new JsonObject
                {
                    ["name"] = "AzureCloud",
                    ["authentication"] = new JsonObject { ["loginEndpoint"] = "https://login.microsoftonline.com/" },
                };
            default:
                throw new NotSupportedException($"The template uses {call.Name}(), which this evaluator does not know; add it.");
        }
    }

    private static Lambda LambdaArgument(Call call, int index, IReadOnlyDictionary<string, JsonNode?> scope) =>
        call.Arguments[index] is Call { Name: var name } lambda && name.Equals("lambda", StringComparison.OrdinalIgnoreCase)
            ? new Lambda(lambda.Arguments, scope)
            : throw new NotSupportedException($"Argument {index} of {call.Name}() must be a lambda.");

    private JsonNode? Apply(Lambda lambda, params JsonNode?[] arguments)
    {
        var names = lambda.Parts.SkipLast(1).Select(p => Text(Evaluate(p, lambda.Scope))).ToList();
        var scope = new Dictionary<string, JsonNode?>(lambda.Scope);
        for (var i = 0; i < names.Count && i < arguments.Length; i++)
        {
            scope[names[i]] = arguments[i]?.DeepClone();
        }

        return Evaluate(lambda.Parts[^1], scope);
    }

    private JsonNode? ModuleReference(string module) => new JsonObject
    {
        ["outputs"] = new OutputsProxy(module, moduleOutput).Build(template),
    };

    /// <summary>resourceId([subscriptionId], [resourceGroup], type, name, ...): one name per segment of the type after its namespace.</summary>
    private static string ResourceId(List<string> args)
    {
        var typeAt = args.FindIndex(a => a.Contains('/', StringComparison.Ordinal));
        var segments = typeAt < 0 ? [] : args[typeAt].Split('/');
        var names = args.Skip(typeAt + 1).ToList();
        if (typeAt is < 0 or > 2 || names.Count != segments.Length - 1)
        {
            throw new NotSupportedException($"resourceId({string.Join(", ", args)}): names do not match the type.");
        }

        var subscription = typeAt == 2 ? args[0] : StandIn.SubscriptionId;
        var group = typeAt >= 1 ? args[typeAt - 1] : StandIn.ResourceGroup;
        var path = string.Concat(segments.Skip(1).Zip(names, (type, name) => $"/{type}/{name}"));
        return $"/subscriptions/{subscription}/resourceGroups/{group}/providers/{segments[0]}{path}";
    }

    private static JsonNode? Union(JsonNode? left, JsonNode? right)
    {
        if (left is JsonArray a && right is JsonArray b)
        {
            var merged = new JsonArray(a.Select(e => e?.DeepClone()).ToArray());
            foreach (var e in b.Where(e => !a.Any(x => JsonNode.DeepEquals(x, e))))
            {
                merged.Add(e?.DeepClone());
            }

            return merged;
        }

        var result = (JsonObject)left!.DeepClone();
        foreach (var (key, value) in right!.AsObject())
        {
            result[key] = result[key] is JsonObject l && value is JsonObject r ? Union(l, r) : value?.DeepClone();
        }

        return result;
    }

    private static bool Truthy(JsonNode? node) => node is JsonValue v && v.TryGetValue(out bool b) ? b : throw new InvalidOperationException("Not a bool.");

    private static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonObject obj => obj.Count == 0,
        JsonValue value when value.TryGetValue(out string? text) => text.Length == 0,
        _ => false,
    };

    private static string Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text : throw new InvalidOperationException($"Not a string: {node?.ToJsonString()}.");

    private static int Integer(JsonNode? node) => node!.GetValue<int>();

    private static object FormatArgument(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out int i) => i,
        _ => Stringify(node),
    };

    /// <summary>ARM's string(): booleans as .NET writes them (True, False), numbers invariant, the rest as JSON.</summary>
    public static string Stringify(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out bool b) => b ? "True" : "False",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private sealed record Lambda(IReadOnlyList<Expression> Parts, IReadOnlyDictionary<string, JsonNode?> Scope);

    /// <summary>A module's outputs as reference() returns them: { name: { value: ... } }, for each output the module declares.</summary>
    private sealed class OutputsProxy(string module, Func<string, string, JsonNode?> moduleOutput)
    {
        public JsonObject Build(JsonObject template)
        {
            var outputs = template["resources"]?[module]?["properties"]?["template"]?["outputs"]?.AsObject()
                          ?? throw new InvalidOperationException($"No module '{module}' with outputs in the template.");
            return new JsonObject(outputs.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)new JsonObject { ["value"] = moduleOutput(module, o.Key) })));
        }
    }
}
