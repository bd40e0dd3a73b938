using System.Text.Json;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>The bindings the Functions host will read, checked from the build's own functions.metadata.</summary>
public sealed class FunctionBindingTests
{
    private static List<JsonElement> Functions()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        using var metadata = JsonDocument.Parse(File.ReadAllText(path));
        return [.. metadata.RootElement.EnumerateArray().Select(f => f.Clone())];
    }

    private static JsonElement Function(string name) => Functions().Single(f => f.GetProperty("name").GetString() == name);

    private static JsonElement Trigger(string name) =>
        Function(name).GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");

    [Theory]
    [InlineData("AcquireTokenForClient", "post", "clients/{client}/token", "Function")]
    [InlineData("AcquireTokenOnBehalfOf", "post", "clients/{client}/token/on-behalf-of", "Function")]
    [InlineData("RemoveTokensForClient", "delete", "clients/{client}/tokens", "Function")]
    [InlineData("Health", "get,head", "health", "Anonymous")]
    [InlineData("AcquireTokenForManagedIdentity", "get", "clients/{client}/managed-identity/token", "Anonymous")]
    [InlineData("AcquireTokenForClientMethodNotAllowed", "get,head,put,patch,delete,options,trace", "clients/{client}/token", "Function")]
    [InlineData("AcquireTokenOnBehalfOfMethodNotAllowed", "get,head,put,patch,delete,options,trace", "clients/{client}/token/on-behalf-of", "Function")]
    [InlineData("RemoveTokensForClientMethodNotAllowed", "get,head,post,put,patch,options,trace", "clients/{client}/tokens", "Function")]
    [InlineData("AcquireTokenForManagedIdentityMethodNotAllowed", "head,post,put,patch,delete,options,trace", "clients/{client}/managed-identity/token", "Anonymous")]
    [InlineData("HealthMethodNotAllowed", "post,put,patch,delete,options,trace", "health", "Anonymous")]
    public void Each_http_function_has_the_contracts_route_methods_and_auth_level(string function, string methods, string route, string authLevel)
    {
        var trigger = Trigger(function);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(methods.Split(','), trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void Every_route_is_served_for_every_standard_method_by_exactly_one_function_of_one_auth_level()
    {
        // The host refuses to start a function whose route and methods overlap another's, and routes a
        // method no function lists to its empty 404.
        string[] standard = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];
        var triggers = Functions().Select(f => f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In"))
            .Where(t => t.GetProperty("type").GetString() == "httpTrigger")
            .ToList();

        foreach (var route in triggers.GroupBy(t => t.GetProperty("route").GetString()))
        {
            var methods = route.SelectMany(t => t.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!)).ToList();
            Assert.True(methods.Count == methods.Distinct().Count(), $"{route.Key}: two functions share a method");
            Assert.True(standard.Order().SequenceEqual(methods.Order()), $"{route.Key}: {string.Join(',', methods.Order())}");
            Assert.Single(route.Select(t => t.GetProperty("authLevel").GetString()).Distinct());
        }

        Assert.Equal(5, triggers.GroupBy(t => t.GetProperty("route").GetString()).Count());
    }

    [Fact]
    public void The_pre_warm_timer_reads_its_schedule_from_settings_and_never_runs_on_start_up()
    {
        var trigger = Trigger("PrewarmTokens");

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%Prewarm:Schedule%", trigger.GetProperty("schedule").GetString());
        Assert.False(trigger.TryGetProperty("runOnStartup", out var runOnStartup) && runOnStartup.GetBoolean());
    }
}
