using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Rig;

namespace TokenFunctions.Tests.Functions;

/// <summary>
/// A request routed the way the Functions host routes it: by the HTTP triggers the build wrote to
/// <c>functions.metadata</c> (route under host.json's <c>api</c> prefix, and methods), then the matched
/// function's entry point run with its route values inside the worker middleware <c>Program.cs</c>
/// registers, and the result executed against the response as the worker's ASP.NET Core integration
/// executes it. No function for the path and method is the host's empty 404.
/// </summary>
public static class HostRouting
{
    private const string RoutePrefix = "api";

    private static readonly Lazy<IReadOnlyList<HttpFunction>> Functions = new(Load);

    /// <summary>Every HTTP-triggered function of the build, as the host reads it.</summary>
    public static IReadOnlyList<HttpFunction> HttpFunctions => Functions.Value;

    public static Task<FunctionResponse> SendAsync(AppProcess app, string method, string path, byte[]? body = null, string? contentType = null) =>
        SendAsync(app, method, path, new MemoryStream(body ?? []), body?.Length ?? 0, contentType);

    public static async Task<FunctionResponse> SendAsync(AppProcess app, string method, string path, Stream body, long? contentLength, string? contentType)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Body = body;
        context.Request.ContentLength = contentLength;
        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();

        var values = new RouteValueDictionary();
        var function = Functions.Value.FirstOrDefault(f => f.Methods.Contains(method, StringComparer.OrdinalIgnoreCase) && f.Matcher.TryMatch(path, values = []));
        if (function is null)
        {
            return new FunctionResponse(StatusCodes.Status404NotFound, context.Response.Headers, "");
        }

        IActionResult? result = null;
        var middleware = ActivatorUtilities.CreateInstance<UnhandledExceptionMiddleware>(app.Services);
        var answer = await middleware.RunAsync(function.Name, context, async () => result = await InvokeAsync(app, function, context, values), CancellationToken.None);
        result = answer ?? result ?? throw new InvalidOperationException($"{function.Name} returned no result.");
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(values), new ActionDescriptor()));
        var text = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        return new FunctionResponse(context.Response.StatusCode, context.Response.Headers, text);
    }

    private static async Task<IActionResult> InvokeAsync(AppProcess app, HttpFunction function, HttpContext context, RouteValueDictionary values)
    {
        var instance = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(app.Services, function.Method.DeclaringType!);
        var arguments = function.Method.GetParameters().Select(p => p.ParameterType switch
        {
            _ when p.ParameterType == typeof(HttpRequest) => context.Request,
            _ when p.ParameterType == typeof(CancellationToken) => (object)CancellationToken.None,
            _ => values[p.Name!]?.ToString(),
        }).ToArray();
        return function.Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, arguments, null) switch
        {
            Task<IActionResult> pending => await pending,
            IActionResult done => done,
            var other => throw new InvalidOperationException($"{function.Name} returned {other?.GetType().Name ?? "null"}."),
        };
    }

    private static List<HttpFunction> Load()
    {
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var assembly = typeof(TokenBroker).Assembly;
        var functions = new List<HttpFunction>();
        foreach (var function in metadata.RootElement.EnumerateArray())
        {
            var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
            if (trigger.GetProperty("type").GetString() != "httpTrigger")
            {
                continue;
            }

            var entryPoint = function.GetProperty("entryPoint").GetString()!;
            var method = assembly.GetType(entryPoint[..entryPoint.LastIndexOf('.')], throwOnError: true)!
                .GetMethod(entryPoint[(entryPoint.LastIndexOf('.') + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)!;
            var route = trigger.GetProperty("route").GetString()!;
            functions.Add(new HttpFunction(
                function.GetProperty("name").GetString()!,
                route,
                [.. trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant())],
                trigger.GetProperty("authLevel").GetString()!,
                method,
                new TemplateMatcher(TemplateParser.Parse($"{RoutePrefix}/{route}"), new RouteValueDictionary())));
        }

        return functions;
    }

    public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods, string AuthLevel, MethodInfo Method, TemplateMatcher Matcher);
}
