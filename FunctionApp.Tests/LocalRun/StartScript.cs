using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.LocalRun;

/// <summary>
/// tools/start-local.mjs (what <c>npm start</c> runs), run with the real Node: the whole script, or one of
/// its exported pieces through a small ES module given as text.
/// </summary>
internal static class StartScript
{
    public static string ScriptPath => Path.Combine(RepositoryRoot.FullPath, "tools", "start-local.mjs");

    public static string SamplePath => Path.Combine(RepositoryRoot.FullPath, "local.settings.sample.json");

    /// <summary>The node executable on this machine's PATH, by its full path.</summary>
    public static string Node { get; } = FindNode();

    /// <summary>Runs the script itself with <paramref name="arguments"/> and, when given, this PATH only.</summary>
    public static Task<NodeRun> RunAsync(IEnumerable<string> arguments, string? path = null, IReadOnlyDictionary<string, string>? environment = null) =>
        RunNodeAsync([ScriptPath, .. arguments], path, stdin: null, environment);

    /// <summary>
    /// Runs an ES module that has the script's exports as <c>script</c>; <paramref name="stdin"/> is
    /// called with the process once it started, to converse with it.
    /// </summary>
    public static Task<NodeRun> RunPiecesAsync(string module, Func<Process, Task>? stdin = null)
    {
        var import = $"import * as script from {System.Text.Json.JsonSerializer.Serialize(new Uri(ScriptPath).AbsoluteUri)};\n";
        return RunNodeAsync(["--input-type=module", "-e", import + module], path: null, stdin);
    }

    /// <summary>Three loopback ports nothing listens on, for Azurite's blob, queue and table services.</summary>
    public static (int Blob, int Queue, int Table) FreePorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        listeners.ForEach(l => l.Stop());
        return (ports[0], ports[1], ports[2]);
    }

    public static bool AcceptsConnections(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<NodeRun> RunNodeAsync(
        IEnumerable<string> arguments, string? path, Func<Process, Task>? stdin, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.FullPath,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (path is not null)
        {
            start.Environment["PATH"] = path;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is null)
            {
                process.StandardInput.Close();
            }
            else
            {
                await stdin(process).WaitAsync(RunLimit);
            }

            var stdout = await process.StandardOutput.ReadToEndAsync().WaitAsync(RunLimit);
            await process.WaitForExitAsync().WaitAsync(RunLimit);
            return new NodeRun(process.ExitCode, stdout, await stderr);
        }
        catch (TimeoutException)
        {
            // A script that does not end is a failure, not a hung test run: end it and whatever it started.
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"node {string.Join(' ', start.ArgumentList)} did not end within {RunLimit}.");
        }
    }

    // Far above what a run takes (Azurite starts in about a second); only a script that hangs reaches it.
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    private static string FindNode()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "node.exe" } : ["node"];
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(directory => names.Select(name => Path.Combine(directory, name)))
            .FirstOrDefault(File.Exists);
        return found ?? throw new InvalidOperationException("node is not on PATH; the tests need Node.js (it also runs Azurite).");
    }
}

internal sealed record NodeRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
