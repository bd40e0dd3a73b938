using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>Whatever a caller sends, with whatever method, the answer is the contract's JSON and never a 500.</summary>
[Collection(UsesAzurite.Name)]
public sealed class MalformedRequestTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Two_hundred_and_more_malformed_requests_against_every_endpoint_never_get_a_500()
    {
        await using var app = _scenario.StartProcess();
        var corpus = Corpus().ToList();
        Assert.True(corpus.Count >= 200, $"only {corpus.Count} cases");

        var failures = new List<string>();
        foreach (var (name, client, contentType, body) in corpus)
        {
            foreach (var endpoint in new[] { "token", "on-behalf-of", "delete" })
            {
                var response = await SendAsync(app, endpoint, client, contentType, body);
                if (!IsContractAnswer(response, out var why))
                {
                    failures.Add($"{endpoint} / {name}: {why}: {response.Status} {Truncate(response.Body)}");
                }
            }
        }

        var health = await app.GetHealthAsync();
        Assert.Equal(200, health.Status);
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
    }

    [Fact]
    public async Task Two_hundred_and_more_malformed_managed_identity_requests_never_get_a_500_or_a_status_the_sdks_retry()
    {
        var caller = IdentitySecret.Create("corpus", "api://inventory");
        caller.Configure(_scenario.Settings, EntraScenario.Client, 0);
        await using var app = _scenario.StartProcess();
        var corpus = ManagedIdentityCorpus(caller.Secret).ToList();
        Assert.True(corpus.Count >= 200, $"only {corpus.Count} cases");

        var failures = new List<string>();
        foreach (var (name, client, query, header) in corpus)
        {
            var response = await app.GetManagedIdentityTokenAsync(client, query, header);
            // 429 is the failure limit's (the corpus sends many wrong headers): retried, as a limit should be.
            if (!IsContractAnswer(response, out var why) || response.Status is 404 or 408 or 500 or 503 or 504)
            {
                failures.Add($"{name}: {(why.Length > 0 ? why : "a status the SDKs retry")}: {response.Status} {Truncate(response.Body)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        // Only api://inventory may be asked for: every request that got through shares its one token.
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    public static TheoryData<string, string> Routes => new()
    {
        { $"/api/clients/{EntraScenario.Client}/managed-identity/token", "GET" },
        { $"/api/clients/{EntraScenario.Client}/token", "POST" },
        { $"/api/clients/{EntraScenario.Client}/token/on-behalf-of", "POST" },
        { $"/api/clients/{EntraScenario.Client}/tokens", "DELETE" },
        { "/api/health", "GET, HEAD" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_other_method_on_a_route_gets_405_with_allow_and_the_contracts_json(string path, string allow)
    {
        await using var app = _scenario.StartProcess();
        var allowed = allow.Split(", ");
        var body = Encoding.UTF8.GetBytes($"{{\"scopes\": [\"{EntraScenario.Scope}\"]}}");

        var failures = new List<string>();
        foreach (var method in StandardMethods.Except(allowed))
        {
            var response = await HostRouting.SendAsync(app, method, path, body, "application/json");
            var problems = MethodNotAllowedProblems(response, method, allow).ToList();
            if (problems.Count > 0)
            {
                failures.Add($"{method} {path}: {string.Join(", ", problems)}: {response.Status} {Truncate(response.Body)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task Health_answers_head_as_it_answers_get(string method)
    {
        await using var app = _scenario.StartProcess();

        var response = await HostRouting.SendAsync(app, method, "/api/health");

        Assert.Equal(200, response.Status);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
    }

    private static readonly string[] StandardMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

    private static IEnumerable<string> MethodNotAllowedProblems(FunctionResponse response, string method, string allow)
    {
        if (response.Status != 405)
        {
            yield return "not 405";
        }

        if (response.Headers.Allow.ToString() != allow)
        {
            yield return $"Allow is '{response.Headers.Allow}'";
        }

        if (response.Headers.CacheControl.ToString() != "no-store" || response.Headers.Pragma.ToString() != "no-cache")
        {
            yield return "not no-store";
        }

        // A HEAD response carries no body on the wire: its status and headers are the whole answer.
        if (method == "HEAD")
        {
            yield break;
        }

        if (!IsContractAnswer(response, out var why))
        {
            yield return why;
        }
        else if (response.Text("error") != "invalid_request" || string.IsNullOrEmpty(response.Text("correlation_id")) ||
                 !allow.Split(", ").All(a => response.Text("error_description")!.Contains(a, StringComparison.Ordinal)))
        {
            yield return "not invalid_request naming the allowed methods, with a correlation_id";
        }
    }

    private static bool IsContractAnswer(FunctionResponse response, out string why)
    {
        why = "";
        if (response.Status >= 500 && response.Status != 502 && response.Status != 503 && response.Status != 504)
        {
            why = "server error";
            return false;
        }

        if (response.Status == 204)
        {
            return true;
        }

        if (response.Headers.ContentType.ToString() != "application/json; charset=utf-8" || response.Headers.CacheControl.ToString() != "no-store")
        {
            why = $"Content-Type '{response.Headers.ContentType}', Cache-Control '{response.Headers.CacheControl}'";
            return false;
        }

        try
        {
            var json = response.Json;
            if (response.Status == 200)
            {
                return json.TryGetProperty("access_token", out _) || (why = "200 without a token") == "";
            }

            var complete = json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String &&
                           json.TryGetProperty("error_description", out var description) && description.ValueKind == JsonValueKind.String &&
                           json.TryGetProperty("correlation_id", out _);
            why = complete ? "" : "incomplete error JSON";
            return complete;
        }
        catch (JsonException)
        {
            why = "not JSON";
            return false;
        }
    }

    private static async Task<FunctionResponse> SendAsync(AppProcess app, string endpoint, string client, string? contentType, byte[] body)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = endpoint == "delete" ? "DELETE" : "POST";
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();
        IActionResult result = endpoint switch
        {
            "token" => await ActivatorUtilities.CreateInstance<ClientTokenFunction>(app.Services).Run(context.Request, client, default),
            "on-behalf-of" => await ActivatorUtilities.CreateInstance<OnBehalfOfTokenFunction>(app.Services).Run(context.Request, client, default),
            _ => await ActivatorUtilities.CreateInstance<RemoveTokensFunction>(app.Services).Run(context.Request, client, default),
        };
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        var text = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        return new FunctionResponse(context.Response.StatusCode, context.Response.Headers, text.Length == 0 ? "{}" : text);
    }

    private static IEnumerable<(string Name, string Client, string? ContentType, byte[] Body)> Corpus()
    {
        var random = new Random(20261126);
        const string client = EntraScenario.Client;
        string[] contentTypes = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", null!, "application/json; charset=utf-16"];

        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(0, 2048)];
            random.NextBytes(bytes);
            yield return ($"random bytes #{i}", client, contentTypes[i % contentTypes.Length], bytes);
        }

        string[] values = ["null", "true", "false", "0", "-1", "1e309", "\"\"", "\"x\"", "[]", "{}", "[null]", "[1,2]", "[[\"a\"]]", "[{}]", "{\"a\":1}", "\"api://x/.default\"", "[\"\\u0000\"]", "[\"a\\tb\"]", "[\"\\ud800\"]", "\"\\udc00x\"", "[\"" + new string('s', 600) + "\"]"];
        foreach (var value in values)
        {
            yield return ($"scopes = {Truncate(value)}", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": {value}}}"));
            yield return ($"claims_challenge = {Truncate(value)}", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": [\"api://x/.default\"], \"claims_challenge\": {value}}}"));
            yield return ($"user_assertion = {Truncate(value)}", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": [\"api://x/.default\"], \"user_assertion\": {value}}}"));
            yield return ($"root = {Truncate(value)}", client, "application/json", Encoding.UTF8.GetBytes(value));
        }

        foreach (var count in new[] { 21, 1000, 100_000 })
        {
            var scopes = string.Join(',', Enumerable.Range(0, count).Select(i => $"\"api://r{i}/.default\""));
            yield return ($"{count} scopes", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": [{scopes}]}}"));
        }

        foreach (var depth in new[] { 10, 64, 1000, 20_000 })
        {
            var nested = new string('[', depth) + new string(']', depth);
            yield return ($"nesting {depth}", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": {nested}}}"));
            yield return ($"nesting {depth} elsewhere", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": [\"api://x/.default\"], \"extra\": {nested}}}"));
        }

        byte[][] badUtf8 = [[0xC3, 0x28], [0xA0, 0xA1], [0xE2, 0x28, 0xA1], [0xF0, 0x28, 0x8C, 0xBC], [0xFF], [0xED, 0xA0, 0x80]];
        foreach (var bad in badUtf8)
        {
            var prefix = "{\"scopes\": [\"api://x/"u8.ToArray();
            var suffix = "\"], \"user_assertion\": \"a.b.c\"}"u8.ToArray();
            yield return ($"bad UTF-8 in scope {Convert.ToHexString(bad)}", client, "application/json", [.. prefix, .. bad, .. suffix]);
            yield return ($"bad UTF-8 in assertion {Convert.ToHexString(bad)}", client, "application/json",
                [.. "{\"scopes\": [\"api://x/.default\"], \"user_assertion\": \"eyJ"u8.ToArray(), .. bad, .. ".e30.c\"}"u8.ToArray()]);
        }

        foreach (var size in new[] { 64 * 1024, 64 * 1024 + 1, 1024 * 1024 })
        {
            var padding = new string('x', size);
            yield return ($"body of {size} bytes", client, "application/json", Encoding.UTF8.GetBytes($"{{\"scopes\": [\"api://x/.default\"], \"p\": \"{padding}\"}}"));
        }

        string[] clients = ["", "no-such-client", "../../etc/passwd", new string('c', 5000), "orders%00", "ORDERS", "órders", "orders\n", "<script>"];
        foreach (var name in clients)
        {
            yield return ($"client '{Truncate(name)}'", name, "application/json", Encoding.UTF8.GetBytes("{\"scopes\": [\"api://x/.default\"]}"));
        }

        for (var i = 0; i < 40; i++)
        {
            var json = new StringBuilder("{");
            var fields = new[] { "scopes", "claims_challenge", "user_assertion", "SCOPES", "scopes " };
            for (var f = 0; f < random.Next(1, 5); f++)
            {
                json.Append(f > 0 ? "," : "").Append('"').Append(fields[random.Next(fields.Length)]).Append("\":").Append(values[random.Next(values.Length)]);
            }

            yield return ($"mixed #{i}: {Truncate(json.ToString())}", client, contentTypes[random.Next(contentTypes.Length)], Encoding.UTF8.GetBytes(json.Append('}').ToString()));
        }
    }

    private static IEnumerable<(string Name, string Client, string Query, string? Header)> ManagedIdentityCorpus(string secret)
    {
        var random = new Random(20261202);
        const string client = EntraScenario.Client;
        const string valid = "api-version=2019-08-01&resource=api://inventory";
        string?[] headers = [secret, null, "", "wrong", new string('h', 16 * 1024), "é\u0000\r\n", secret + " ", " " + secret];

        string[] queries =
        [
            "", "?", "??", "&", "&&&", "=", "==", "=&=", "resource", "resource=", "api-version", "api-version=", "%", "%%", "%zz", "%00",
            "%C3%28", "%ED%A0%80", "resource=%FF", "api-version=2019-08-01&resource=%", "api-version=2019-08-01&resource=%E2%28%A1",
            "api-version=2019-08-01&resource=api://inventory%00", "api-version=2019-08-01&resource=api://inventory%0d%0a",
            "api-version=2019-08-01&resource=api://ínventory", "api-version=2019-08-01&resource=api://%C4%B1nventory",
            "api-version=2019-08-01&resource=" + new string('r', 9000), "api-version=2019-08-01&resource=" + new string('r', 100_000),
            "api-version=2019-08-01&resource=api://inventory&resource=api://payroll", "api-version=2019-08-01&resource=api://inventory&client_id=",
            "api-version=2019-08-01&resource=api://inventory&client_id=not-a-guid", "api-version=2019-08-01&resource=api://inventory&client_id=%00",
            "api-version=2019-08-01&resource=api://inventory&object_id=", "api-version=2019-08-01&resource=api://inventory&mi_res_id=%2F",
            "api-version=2019-08-01&resource=api://inventory&msi_res_id=x", "api-version=2019-08-01&resource=api://inventory&bearer_token_type=pop",
            "api-version=2019-08-01&resource=api://inventory&token_sha256_to_refresh=abc", "api-version=2019-08-01&resource=api://inventory&xms_cc=cp1",
            "api-version=2019-08-01&resource=api://inventory/.default", "api-version=2019-08-01&resource=api://inventory/.DEFAULT",
            "api-version=2019-08-01&resource=https://graph.microsoft.com/User.Read", "api-version=2019-08-01&resource=\"\\",
            "api-version=2019-08-01&resource=a+b", "api-version=2019-08-01+&resource=api://inventory", "api-version=2019%2D08%2D01&resource=api://inventory",
            "api-version=2017-09-01&resource=api://inventory", "api-version=2018-02-01&resource=api://inventory", "api-version=&resource=api://inventory",
            string.Join('&', Enumerable.Range(0, 2000).Select(i => $"p{i}={i}")), valid + "#fragment", valid + "&" + valid, valid + "?" + valid,
            "code=secret-function-key?" + valid, valid + "&api-version=2019-08-01&resource=API://INVENTORY",
        ];

        foreach (var query in queries)
        {
            foreach (var header in headers.Take(3))
            {
                yield return ($"query '{Truncate(query)}' header {(header == secret ? "valid" : Truncate(header ?? "(none)"))}", client, query, header);
            }
        }

        foreach (var header in headers)
        {
            yield return ($"{(header == secret ? "valid" : "header")} '{Truncate(header ?? "(none)")}'", client, valid, header);
        }

        for (var i = 0; i < 40; i++)
        {
            var chars = Enumerable.Range(0, random.Next(0, 300)).Select(_ => (char)random.Next(0, 0x3000)).ToArray();
            yield return ($"random query #{i}", client, new string(chars), i % 2 == 0 ? secret : "wrong");
        }

        string[] clients = ["", "no-such-client", "../../etc/passwd", new string('c', 5000), "orders%00", "ORDERS", "órders", "orders\n", "<script>"];
        foreach (var name in clients)
        {
            yield return ($"client '{Truncate(name)}'", name, valid, secret);
        }
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
