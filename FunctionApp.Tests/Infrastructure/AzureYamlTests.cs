using System.Text.RegularExpressions;
using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>azure.yaml is what azd reads first: it must satisfy the azd v1.0 schema for a function service.</summary>
public sealed partial class AzureYamlTests
{
    // The azd v1.0 schema's top-level and service properties (additionalProperties: false).
    private static readonly HashSet<string> TopLevel =
        ["name", "resourceGroup", "metadata", "infra", "services", "pipeline", "hooks", "requiredVersions", "state", "platform", "workflows", "cloud", "resources"];

    private static readonly HashSet<string> ServiceProperties =
        ["apiVersion", "resourceName", "project", "image", "host", "language", "module", "dist", "docker", "k8s", "config", "hooks", "env", "uses", "remoteBuild"];

    private static readonly HashSet<string> DotnetLanguages = ["dotnet", "csharp", "fsharp"];

    [Fact]
    public void Azure_yaml_describes_the_function_service_as_azd_v1_requires()
    {
        var problems = Check(File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "azure.yaml")));

        Assert.Empty(problems);
    }

    [Fact]
    public void The_service_project_is_the_function_app()
    {
        var yaml = MiniYaml.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "azure.yaml")));
        var api = (Dictionary<string, object>)((Dictionary<string, object>)yaml["services"])["api"];

        Assert.Equal("token-functions", yaml["name"]);
        Assert.Equal(("./FunctionApp/", "dotnet", "function"), ((string)api["project"], (string)api["language"], (string)api["host"]));
        var project = File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, (string)api["project"], "FunctionApp.csproj"));
        Assert.Contains("<AzureFunctionsVersion>v4</AzureFunctionsVersion>", project, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: token-functions\nservices:\n  Api_Service:\n    project: ./FunctionApp/\n    language: dotnet\n    host: function\n", "service name 'Api_Service'")]
    [InlineData("name: token-functions\nservices:\n  api:\n    project: ./FunctionApp/\n    language: dotnet\n", "services.api.host is required")]
    [InlineData("name: token-functions\nservices:\n  api:\n    language: dotnet\n    host: function\n", "services.api.project is required")]
    [InlineData("name: token-functions\nservices:\n  api:\n    project: ./FunctionApp/\n    language: cobol\n    host: function\n", "services.api.language")]
    [InlineData("name: token-functions\nservices:\n  api:\n    project: ./FunctionApp/\n    language: dotnet\n    host: functions\n", "services.api.host")]
    [InlineData("name: token-functions\nservices:\n  api:\n    project: ./FunctionApp/\n    language: dotnet\n    host: function\n    runtime: dotnet-isolated\n", "services.api.runtime")]
    [InlineData("services:\n  api:\n    project: ./FunctionApp/\n    language: dotnet\n    host: function\n", "name is required")]
    public void A_broken_copy_of_azure_yaml_is_refused(string yaml, string problem)
    {
        Assert.Contains(Check(yaml), p => p.Contains(problem, StringComparison.Ordinal));
    }

    private static List<string> Check(string text)
    {
        var problems = new List<string>();
        var yaml = MiniYaml.Parse(text);
        problems.AddRange(yaml.Keys.Where(k => !TopLevel.Contains(k)).Select(k => $"{k}: not a property of azure.yaml"));
        if (yaml.GetValueOrDefault("name") is not string { Length: >= 2 } name)
        {
            problems.Add("name is required (at least 2 characters)");
        }
        else if (!ServiceName().IsMatch(name))
        {
            problems.Add($"name '{name}' must be lowercase letters, digits and '-'");
        }

        if (yaml.GetValueOrDefault("services") is not Dictionary<string, object> { Count: > 0 } services)
        {
            problems.Add("services: at least one service is required");
            return problems;
        }

        foreach (var (serviceName, value) in services)
        {
            if (!ServiceName().IsMatch(serviceName))
            {
                problems.Add($"service name '{serviceName}' must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
            }

            if (value is not Dictionary<string, object> service)
            {
                problems.Add($"services.{serviceName} must be a mapping");
                continue;
            }

            problems.AddRange(service.Keys.Where(k => !ServiceProperties.Contains(k)).Select(k => $"services.{serviceName}.{k}: not a service property"));
            foreach (var required in new[] { "project", "host", "language" })
            {
                if (service.GetValueOrDefault(required) is not string { Length: > 0 })
                {
                    problems.Add($"services.{serviceName}.{required} is required for a function service");
                }
            }

            if (service.GetValueOrDefault("host") is string host && host != "function")
            {
                problems.Add($"services.{serviceName}.host '{host}': this app is hosted as 'function'");
            }

            if (service.GetValueOrDefault("language") is string language && !DotnetLanguages.Contains(language))
            {
                problems.Add($"services.{serviceName}.language '{language}': a .NET function is dotnet, csharp or fsharp");
            }
        }

        return problems;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex ServiceName();
}
