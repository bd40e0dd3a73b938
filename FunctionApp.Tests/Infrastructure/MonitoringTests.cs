using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Telemetry;
using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// The workbook and the alert rules (infra/monitoring/) against what they depend on: every query file
/// is deployed, once; every rule has its runbook section in docs/operations.md; the parameters that
/// switch the rules on exist end to end, off by default; and every metric, dimension, activity, log
/// event and log property a query names is one the app emits, so a rename in the code fails here
/// rather than leaving a panel empty or an alert silent.
/// </summary>
public sealed partial class MonitoringTests
{
    private static string Monitoring => Path.Combine(InfraTemplate.InfraDirectory, "monitoring");

    private static IEnumerable<string> QueryFiles => Directory.EnumerateFiles(Monitoring, "*.kql", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void Every_query_file_is_deployed_exactly_once_and_every_loaded_file_exists()
    {
        var loaded = Directory.EnumerateFiles(Monitoring, "*.bicep")
            .SelectMany(bicep => LoadTextContent().Matches(File.ReadAllText(bicep))
                .Select(m => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(bicep)!, m.Groups[1].Value))))
            .ToList();

        Assert.True(QueryFiles.Count() >= 16, "The workbook's panels and the alert rules each have a query file.");
        Assert.All(loaded, file => Assert.True(File.Exists(file), $"{file} is loaded but does not exist."));
        Assert.All(QueryFiles, file => Assert.Equal(1, loaded.Count(l => l == Path.GetFullPath(file))));
    }

    [Theory]
    [MemberData(nameof(InfraConsistencyTests.Sources), MemberType = typeof(InfraConsistencyTests))]
    public void Every_alert_rule_names_its_runbook_section_and_every_alert_section_has_its_rule(string source)
    {
        var runbooks = AlertRunbooks(source);
        var sections = AlertSections();

        Assert.Equal(6, runbooks.Count);
        Assert.Equal(sections.Order(StringComparer.Ordinal), runbooks.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_alert_section_says_what_it_means_how_to_confirm_and_what_to_do()
    {
        var operations = File.ReadAllText(OperationsPath);
        foreach (var section in AlertSections())
        {
            var start = operations.IndexOf($"\n### {section}\n", StringComparison.Ordinal);
            var end = operations.IndexOf("\n### ", start + 1, StringComparison.Ordinal);
            var text = end < 0 ? operations[start..] : operations[start..end];
            Assert.Contains("**What it means.**", text, StringComparison.Ordinal);
            Assert.Contains("**How to confirm.**", text, StringComparison.Ordinal);
            Assert.Contains("**What to do.**", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_alert_parameters_reach_the_rules_from_azd_and_the_rules_are_off_by_default()
    {
        var main = File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "main.bicep"));
        var azd = JsonNode.Parse(File.ReadAllText(Path.Combine(InfraTemplate.InfraDirectory, "main.parameters.json")))!["parameters"]!;

        Assert.Contains("\nparam alertsEnabled bool = false\n", main, StringComparison.Ordinal);
        Assert.Contains("\nparam alertEmail string = ''\n", main, StringComparison.Ordinal);
        Assert.Contains("\nparam alertEntraFailurePercent int = 10\n", main, StringComparison.Ordinal);
        Assert.Equal("${TOKEN_ALERTS_ENABLED=false}", (string?)azd["alertsEnabled"]?["value"]);
        Assert.Equal("${TOKEN_ALERT_EMAIL}", (string?)azd["alertEmail"]?["value"]);
        Assert.Equal("${TOKEN_ALERT_ENTRA_FAILURE_PERCENT=10}", (string?)azd["alertEntraFailurePercent"]?["value"]);
        Assert.Contains("    alertsEnabled: alertsEnabled\n", main, StringComparison.Ordinal);
        Assert.Contains("    alertEmail: alertEmail\n", main, StringComparison.Ordinal);
        Assert.Contains("    entraFailurePercentThreshold: alertEntraFailurePercent\n", main, StringComparison.Ordinal);
        Assert.Contains("      enabled: alertsEnabled\n", File.ReadAllText(Path.Combine(Monitoring, "alerts.bicep")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_metric_and_dimension_a_query_names_is_one_the_app_emits()
    {
        var instruments = Instruments();
        var telemetrySource = File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "FunctionApp", "Telemetry", "TokenTelemetry.cs"));
        var checkedNames = 0;
        foreach (var file in QueryFiles)
        {
            var query = StripComments(File.ReadAllText(file));
            foreach (var metric in MetricName().Matches(query).Select(m => m.Value.Trim('"')))
            {
                Assert.True(instruments.Contains(metric), $"{Path.GetFileName(file)}: no instrument named {metric}.");
                checkedNames++;
            }

            foreach (var dimension in MetricDimension().Matches(query).Select(m => m.Groups[1].Value))
            {
                Assert.True(telemetrySource.Contains($"\"{dimension}\"", StringComparison.Ordinal), $"{Path.GetFileName(file)}: no metric has the dimension {dimension}.");
            }
        }

        Assert.True(checkedNames >= 12, $"Only {checkedNames} metric names were checked.");
    }

    [Fact]
    public void Every_activity_log_event_and_log_property_a_query_names_is_one_the_app_writes()
    {
        var source = string.Join("\n", Directory.EnumerateFiles(Path.Combine(RepositoryRoot.FullPath, "FunctionApp"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        foreach (var file in QueryFiles)
        {
            var query = StripComments(File.ReadAllText(file));
            var name = Path.GetFileName(file);
            foreach (var activity in ActivityName().Matches(query).Select(m => m.Value))
            {
                Assert.True(source.Contains($"StartActivity({activity}", StringComparison.Ordinal), $"{name}: no activity named {activity}.");
            }

            foreach (var tag in ActivityTag().Matches(query).Select(m => m.Groups[1].Value))
            {
                Assert.True(source.Contains($"SetTag(\"{tag}\"", StringComparison.Ordinal), $"{name}: no activity has the tag {tag}.");
            }

            var events = LogEvent().Matches(query).SelectMany(m => Regex.Matches(m.Value, @"\d+").Select(d => d.Value)).ToList();
            var templates = events.Select(id => LogTemplate(source, id) ?? throw new Xunit.Sdk.XunitException($"{name}: no log event {id}.")).ToList();
            foreach (var property in LogProperty().Matches(query).Select(m => m.Groups[1].Value).Where(p => p != "EventId"))
            {
                Assert.True(templates.Any(t => t.Contains($"{{{property}}}", StringComparison.Ordinal)), $"{name}: none of its log events ({string.Join(", ", events)}) has the property {property}.");
            }
        }
    }

    [Fact]
    public async Task Every_query_parses_against_the_application_insights_tables()
    {
        var run = await CheckKqlAsync(Monitoring);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"{QueryFiles.Count()} queries parse", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_with_a_misspelt_column_or_a_syntax_error_is_caught()
    {
        using var copy = InfraCopy.Of(InfraTemplate.InfraDirectory);
        copy.Edit(Path.Combine("monitoring", "workbook", "throttling.kql"), kql => kql.Replace("sum(valueSum)", "sum(valueSun)", StringComparison.Ordinal));
        copy.Edit(Path.Combine("monitoring", "alerts", "broker-5xx.kql"), kql => kql.Replace("dcount(operation_Id)", "dcount(operation_Id", StringComparison.Ordinal));

        var run = await CheckKqlAsync(Path.Combine(copy.Path, "monitoring"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("throttling.kql:", run.Output, StringComparison.Ordinal);
        Assert.Contains("'valueSun'", run.Output, StringComparison.Ordinal);
        Assert.Contains("broker-5xx.kql:", run.Output, StringComparison.Ordinal);
    }

    /// <summary>tools/check-kql.mjs, Kusto's own parser and analyser (an npm package of the repository).</summary>
    private static async Task<(int ExitCode, string Output)> CheckKqlAsync(string directory)
    {
        var start = new System.Diagnostics.ProcessStartInfo(LocalRun.StartScript.Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot.FullPath,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot.FullPath, "tools", "check-kql.mjs"));
        start.ArgumentList.Add(directory);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private static string OperationsPath => Path.Combine(RepositoryRoot.FullPath, "docs", "operations.md");

    /// <summary>The runbook anchors the alert rules name: the compiled template's when the CLI is there, else the Bicep text's.</summary>
    private static List<string> AlertRunbooks(string source)
    {
        if (source == InfraTemplate.Compiled)
        {
            var template = InfraTemplate.Compile(InfraTemplate.InfraDirectory);
            var alerts = template["resources"]!["alerts"]!["properties"]!["template"]!;
            return alerts["variables"]!["rules"]!.AsArray().Select(r => (string)r!["runbook"]!).ToList();
        }

        return RunbookProperty().Matches(File.ReadAllText(Path.Combine(Monitoring, "alerts.bicep"))).Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>The sections under "## Alerts" in docs/operations.md, as the anchors their headings get.</summary>
    private static List<string> AlertSections()
    {
        var operations = File.ReadAllText(OperationsPath);
        var alerts = operations[operations.IndexOf("\n## Alerts\n", StringComparison.Ordinal)..];
        var next = alerts.IndexOf("\n## ", 1, StringComparison.Ordinal);
        return SectionHeading().Matches(next < 0 ? alerts : alerts[..next])
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), @"[^a-z0-9 -]", "").Replace(' ', '-'))
            .ToList();
    }

    /// <summary>Every instrument the app's meter creates, once each of its measurements has been recorded (some are created on first use).</summary>
    private static HashSet<string> Instruments()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new TokenTelemetry(services.GetRequiredService<IMeterFactory>());
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, telemetry.Meter))
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        telemetry.TokenRequest("c", "f", "success");
        telemetry.CacheResult("c", "front");
        telemetry.EntraCall("c", null, "success", 1);
        telemetry.TableOperation("read", "success");
        telemetry.KeyVaultOperation("c", "load", "success");
        telemetry.CircuitChanged("c", "open");
        telemetry.Throttled("c");
        telemetry.IdentityHeaderFailure("c", "missing");
        telemetry.UnhandledException("f");
        telemetry.PrewarmRun(0, 0, 0);
        return names;
    }

    private static string? LogTemplate(string source, string eventId)
    {
        var match = Regex.Match(source, $@"EventId = {eventId},[^\]]*?Message = ""([^""]*)""", RegexOptions.Singleline);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static string StripComments(string query) => Regex.Replace(query, "//[^\n]*", "");

    [GeneratedRegex(@"loadTextContent\('([^']+)'\)")]
    private static partial Regex LoadTextContent();

    [GeneratedRegex(@"\n    runbook: '([^']+)'\n")]
    private static partial Regex RunbookProperty();

    [GeneratedRegex(@"\n### ([^\n]+)")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"(?<!\[)""tokenfunctions\.[a-z_.]+""")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"customDimensions\.([a-z][a-z_]*)\b")]
    private static partial Regex MetricDimension();

    [GeneratedRegex(@"""TokenFunctions\.[A-Za-z]+""")]
    private static partial Regex ActivityName();

    [GeneratedRegex(@"customDimensions\[""(tokenfunctions\.[a-z_]+)""\]")]
    private static partial Regex ActivityTag();

    [GeneratedRegex(@"EventId\) (?:==|in) \(?""\d+""(?:, ""\d+"")*\)?")]
    private static partial Regex LogEvent();

    [GeneratedRegex(@"customDimensions\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex LogProperty();
}
