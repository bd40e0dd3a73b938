using System.Text.Json;
using System.Text.RegularExpressions;
using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.LocalRun;

/// <summary>
/// The requests a user copies — FunctionApp/FunctionApp.http and README.md's curl examples — reach a
/// function the build declares (functions.metadata), with that method, and every endpoint has one.
/// </summary>
public sealed partial class DocumentedRequestTests
{
    private const string RoutePrefix = "/api/";

    [Fact]
    public void Every_request_in_the_http_file_reaches_a_function_and_every_endpoint_has_one()
    {
        var requests = HttpFileRequests(File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "FunctionApp", "FunctionApp.http")));

        AssertReachEveryEndpoint(requests);
    }

    [Fact]
    public void Every_curl_example_in_the_readme_reaches_a_function_and_every_endpoint_has_one()
    {
        var requests = CurlRequests(File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "README.md")));

        AssertReachEveryEndpoint(requests);
    }

    [Fact]
    public void A_request_to_a_route_no_function_serves_is_caught()
    {
        var requests = HttpFileRequests("@baseUrl = http://localhost:7071\n\n### typo\nPOST {{baseUrl}}/api/clients/orders/tokens\n");

        Assert.Equal([("POST", "/api/clients/orders/tokens")], requests.Where(r => Endpoint(r) is null));
    }

    private static void AssertReachEveryEndpoint(IReadOnlyList<(string Method, string Path)> requests)
    {
        Assert.NotEmpty(requests);
        Assert.All(requests, request => Assert.True(Endpoint(request) is not null, $"{request.Method} {request.Path}: no function serves it"));
        Assert.Equal(
            Endpoints().Select(e => e.Name).Order(),
            requests.Select(r => Endpoint(r)!.Value.Name).Distinct().Order());
    }

    /// <summary>The function that serves the request, from the build's functions.metadata; 405 functions do not count.</summary>
    private static (string Name, Regex Route, string[] Methods)? Endpoint((string Method, string Path) request) =>
        Endpoints().FirstOrDefault(e => e.Route.IsMatch(request.Path) && e.Methods.Contains(request.Method.ToLowerInvariant()))
            is { Name: not null } found ? found : null;

    private static List<(string Name, Regex Route, string[] Methods)> Endpoints()
    {
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        return [.. metadata.RootElement.EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In")))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger" && !f.Name.EndsWith("MethodNotAllowed", StringComparison.Ordinal))
            .Select(f => (
                f.Name,
                new Regex("^" + RoutePrefix + RouteParameter().Replace(Regex.Escape(f.Trigger.GetProperty("route").GetString()!), "[^/]+") + "$"),
                f.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).ToArray()))];
    }

    /// <summary>"METHOD url" lines of an HTTP file, its <c>@name = value</c> variables substituted.</summary>
    private static List<(string Method, string Path)> HttpFileRequests(string text)
    {
        var variables = HttpFileVariable().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        return [.. HttpFileRequestLine().Matches(text).Select(m =>
        {
            var url = HttpFileReference().Replace(m.Groups[2].Value, r => variables[r.Groups[1].Value]);
            return (m.Groups[1].Value, new Uri(url).AbsolutePath);
        })];
    }

    /// <summary>Every curl command of a Markdown text (continuation lines joined): its method and path.</summary>
    private static List<(string Method, string Path)> CurlRequests(string markdown) =>
        [.. CurlCommand().Matches(markdown.Replace("\\\n", " ", StringComparison.Ordinal)).Select(m =>
        {
            var command = m.Value;
            var method = CurlMethod().Match(command) is { Success: true } explicitMethod ? explicitMethod.Groups[1].Value
                : command.Contains(" -d ", StringComparison.Ordinal) ? "POST" : "GET";
            var url = CurlUrl().Match(command);
            Assert.True(url.Success, $"A curl example without an /api/ URL: {command}");
            return (method, url.Groups[1].Value);
        })];

    [GeneratedRegex(@"\\\{[^}]+}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"^@(\w+)\s*=(.*)$", RegexOptions.Multiline)]
    private static partial Regex HttpFileVariable();

    [GeneratedRegex(@"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE)\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex HttpFileRequestLine();

    [GeneratedRegex(@"\{\{(\w+)}}")]
    private static partial Regex HttpFileReference();

    [GeneratedRegex(@"\bcurl\s[^\n]*")]
    private static partial Regex CurlCommand();

    [GeneratedRegex(@"\s-X\s+([A-Z]+)")]
    private static partial Regex CurlMethod();

    [GeneratedRegex(@"(/api/[^""'\s?]*)")]
    private static partial Regex CurlUrl();
}
