using System.Text.Json;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>The bindings the Functions host will read, checked from the build's own functions.metadata.</summary>
public sealed class FunctionBindingTests
{
    private static JsonElement Function(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        using var metadata = JsonDocument.Parse(File.ReadAllText(path));
        return metadata.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).Clone();
    }

    private static JsonElement Trigger(string name) =>
        Function(name).GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");

    [Theory]
    [InlineData("AcquireTokenForClient", "post", "clients/{client}/token", "Function")]
    [InlineData("RemoveTokensForClient", "delete", "clients/{client}/tokens", "Function")]
    [InlineData("Health", "get", "health", "Anonymous")]
    public void Each_http_function_has_the_contracts_route_method_and_auth_level(string function, string method, string route, string authLevel)
    {
        var trigger = Trigger(function);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
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
