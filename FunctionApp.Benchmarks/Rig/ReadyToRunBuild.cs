using System.Diagnostics;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// The benchmark program published as the Function App is published for Flex Consumption: Release,
/// linux-x64, framework-dependent, ReadyToRun (FunctionApp.csproj's publish settings, applied to the
/// benchmark and everything it carries, so both contenders' libraries are precompiled alike). The
/// fresh-process cold start runs its children from here as well as from the JIT build it runs in.
/// </summary>
internal static class ReadyToRunBuild
{
    public const string RuntimeIdentifier = "linux-x64";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? s_published;

    /// <summary>The published program (its apphost); published once per run of the benchmarks.</summary>
    public static async Task<string> PublishAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (s_published is not null)
            {
                return s_published;
            }

            var output = Path.Combine(OperationLog.ArtifactsPath, "fresh-process-r2r");
            var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[]
            {
                "publish", Path.Combine(RepositoryRoot.FullPath, "FunctionApp.Benchmarks", "FunctionApp.Benchmarks.csproj"),
                "-c", "Release", "-r", RuntimeIdentifier, "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output, "--nologo",
            })
            {
                publish.ArgumentList.Add(argument);
            }

            using var process = Process.Start(publish) ?? throw new InvalidOperationException("dotnet publish did not start.");
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"Publishing the ReadyToRun build failed ({process.ExitCode}):\n{await log.ConfigureAwait(false)}\n{await errors.ConfigureAwait(false)}");
            }

            return s_published = Path.Combine(output, "FunctionApp.Benchmarks");
        }
        finally
        {
            Gate.Release();
        }
    }
}
