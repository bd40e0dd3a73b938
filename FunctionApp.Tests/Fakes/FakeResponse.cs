using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Tests.Fakes;

/// <summary>A canned HTTP answer of a fake, with Entra's error shape available.</summary>
public sealed record FakeResponse(HttpStatusCode Status, JsonNode? Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static FakeResponse Json(HttpStatusCode status, JsonNode body) => new(status, body);

    /// <summary>An error as Entra sends it: <c>error</c>, <c>error_description</c>, <c>error_codes</c>, ids and time.</summary>
    public static FakeResponse EntraError(HttpStatusCode status, string error, long code, string description, string? suberror = null, string? claims = null)
    {
        var correlation = Guid.NewGuid().ToString();
        var body = new JsonObject
        {
            ["error"] = error,
            ["error_description"] = $"{description} Trace ID: {Guid.NewGuid()} Correlation ID: {correlation} Timestamp: {DateTime.UtcNow:yyyy-MM-dd HH:mm:ssZ}",
            ["error_codes"] = new JsonArray(code),
            ["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ssZ"),
            ["trace_id"] = Guid.NewGuid().ToString(),
            ["correlation_id"] = correlation,
        };
        if (suberror is not null)
        {
            body["suberror"] = suberror;
        }

        if (claims is not null)
        {
            body["claims"] = claims;
        }

        return new FakeResponse(status, body);
    }

    public async Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = (int)Status;
        foreach (var (name, value) in Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (Body is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(Body.ToJsonString());
        }
    }
}
