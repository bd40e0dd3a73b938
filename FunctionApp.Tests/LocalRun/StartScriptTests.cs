using System.Text.Json;
using Xunit;

namespace TokenFunctions.Tests.LocalRun;

/// <summary>
/// What <c>npm start</c> does before and around <c>func start</c>: the settings it creates, the Azurite
/// it starts and stops, and what it says when Core Tools are missing. Each test uses its own folders
/// and free ports, never the repository's FunctionApp/local.settings.json or the tests' own Azurite.
/// </summary>
public sealed class StartScriptTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("tokenfunctions-start-");

    [Fact]
    public async Task The_settings_are_created_from_the_sample_when_there_are_none()
    {
        var target = Path.Combine(_scratch.FullName, "local.settings.json");

        var run = await StartScript.RunPiecesAsync($"console.log(script.ensureLocalSettings({{ target: {Json(target)} }}));");

        Assert.Equal("true", run.Stdout.Trim());
        Assert.Equal(File.ReadAllText(StartScript.SamplePath), File.ReadAllText(target));
    }

    [Fact]
    public async Task Existing_settings_are_never_overwritten()
    {
        var target = Path.Combine(_scratch.FullName, "local.settings.json");
        const string Mine = """{"IsEncrypted": false, "Values": {"Clients__orders__ClientId": "mine"}}""";
        File.WriteAllText(target, Mine);

        var run = await StartScript.RunPiecesAsync($"console.log(script.ensureLocalSettings({{ target: {Json(target)} }}));");

        Assert.Equal("false", run.Stdout.Trim());
        Assert.Equal(Mine, File.ReadAllText(target));
    }

    [Fact]
    public async Task Azurite_is_started_on_loopback_with_its_data_in_the_given_folder_and_stopped_again()
    {
        var (blob, queue, table) = StartScript.FreePorts();
        var location = Path.Combine(_scratch.FullName, "azurite");
        var listeningWhileRunning = new List<bool>();

        var run = await StartScript.RunPiecesAsync(
            $$"""
            const azurite = await script.startAzurite({ location: {{Json(location)}}, ports: { blob: {{blob}}, queue: {{queue}}, table: {{table}} } });
            console.log('started');
            process.stdin.once('data', async () => { await azurite.stop(); console.log('stopped'); process.exit(0); });
            """,
            async process =>
            {
                Assert.Equal("started", await process.StandardOutput.ReadLineAsync());
                listeningWhileRunning.AddRange([StartScript.AcceptsConnections(blob), StartScript.AcceptsConnections(queue), StartScript.AcceptsConnections(table)]);
                await process.StandardInput.WriteLineAsync("stop");
                await process.StandardInput.FlushAsync();
            });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([true, true, true], listeningWhileRunning);
        Assert.Equal("stopped", run.Stdout.Trim());
        Assert.False(StartScript.AcceptsConnections(blob));
        Assert.False(StartScript.AcceptsConnections(queue));
        Assert.False(StartScript.AcceptsConnections(table));
        Assert.True(File.Exists(Path.Combine(location, "__azurite_db_table__.json")), "Azurite's data belongs in the given folder");
    }

    [Fact]
    public async Task Without_func_on_PATH_it_says_how_to_install_Core_Tools_exits_non_zero_and_leaves_nothing_running()
    {
        var (blob, queue, table) = StartScript.FreePorts();
        var appDir = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "app")).FullName;
        var location = Path.Combine(_scratch.FullName, "azurite");
        var emptyPath = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "bin")).FullName;

        var run = await StartScript.RunAsync(
            ["--app-dir", appDir, "--azurite-location", location, "--blob-port", $"{blob}", "--queue-port", $"{queue}", "--table-port", $"{table}"],
            path: emptyPath);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Azure Functions Core Tools v4", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("npm i -g azure-functions-core-tools@4", run.Stderr, StringComparison.Ordinal);
        Assert.False(StartScript.AcceptsConnections(blob));
        Assert.False(StartScript.AcceptsConnections(table));
        Assert.False(Directory.Exists(location), "Azurite must not have been started");
        Assert.Equal(File.ReadAllText(StartScript.SamplePath), File.ReadAllText(Path.Combine(appDir, "local.settings.json")));
        Assert.Contains("Clients__orders__ClientId", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_func_on_PATH_it_runs_func_start_in_the_app_folder_while_Azurite_serves_and_stops_Azurite_when_func_ends()
    {
        var (blob, queue, table) = StartScript.FreePorts();
        var appDir = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "app")).FullName;
        var record = Path.Combine(_scratch.FullName, "func-run.json");
        var bin = StandInFunc(Directory.CreateDirectory(Path.Combine(_scratch.FullName, "bin")).FullName);

        var run = await StartScript.RunAsync(
            ["--app-dir", appDir, "--azurite-location", Path.Combine(_scratch.FullName, "azurite"), "--blob-port", $"{blob}", "--queue-port", $"{queue}", "--table-port", $"{table}"],
            path: bin,
            environment: new Dictionary<string, string> { ["STAND_IN_TABLE_PORT"] = $"{table}", ["STAND_IN_RECORD"] = record });

        Assert.True(run.ExitCode == 3, run.ToString()); // func's own exit code
        using var funcRun = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal(["start"], funcRun.RootElement.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(Path.GetFullPath(appDir), Path.GetFullPath(funcRun.RootElement.GetProperty("cwd").GetString()!));
        Assert.True(funcRun.RootElement.GetProperty("tableListening").GetBoolean(), "Azurite must accept connections before func starts");
        Assert.True(funcRun.RootElement.GetProperty("settings").GetBoolean(), "local.settings.json must exist before func starts");
        Assert.False(StartScript.AcceptsConnections(blob));
        Assert.False(StartScript.AcceptsConnections(queue));
        Assert.False(StartScript.AcceptsConnections(table));
    }

    /// <summary>
    /// A stand-in for Core Tools' <c>func</c> (not installed where the tests run): answers --version as v4,
    /// and for <c>start</c> records its arguments, folder, whether Azurite's table port accepts connections
    /// and whether local.settings.json is there, then exits 3.
    /// </summary>
    private static string StandInFunc(string bin)
    {
        File.WriteAllText(Path.Combine(bin, "stand-in.mjs"), """
            import net from 'node:net';
            import { existsSync, writeFileSync } from 'node:fs';
            const args = process.argv.slice(2);
            if (args[0] === '--version') {
              console.log('4.0.0');
              process.exit(0);
            }
            const record = (tableListening) => {
              writeFileSync(process.env.STAND_IN_RECORD, JSON.stringify({ args, cwd: process.cwd(), tableListening, settings: existsSync('local.settings.json') }));
              process.exit(3);
            };
            const socket = net.connect({ port: Number(process.env.STAND_IN_TABLE_PORT), host: '127.0.0.1' });
            socket.once('connect', () => { socket.destroy(); record(true); });
            socket.once('error', () => record(false));
            """);
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(Path.Combine(bin, "func.cmd"), $"@\"{StartScript.Node}\" \"%~dp0stand-in.mjs\" %*\r\n");
        }
        else
        {
            var func = Path.Combine(bin, "func");
            File.WriteAllText(func, $"#!{StartScript.Node}\nimport(require('node:url').pathToFileURL(require('node:path').join(__dirname, 'stand-in.mjs')).href);\n");
            File.SetUnixFileMode(func, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return bin;
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private static string Json(string value) => JsonSerializer.Serialize(value);
}
