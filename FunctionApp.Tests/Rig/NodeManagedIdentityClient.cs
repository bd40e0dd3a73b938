using System.Diagnostics;
using System.Text.Json;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// JavaScript's <c>@azure/identity</c> <c>ManagedIdentityCredential</c> (the version package-lock.json
/// pins), run with Node in a child process whose environment alone carries the two variables.
/// </summary>
public static class NodeManagedIdentityClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static string Script => Path.Combine(RepositoryRoot.FullPath, "FunctionApp.Tests", "Functions", "managed-identity-token.mjs");

    /// <summary>Variables that would point the SDK at another managed-identity source: removed for the child.</summary>
    private static readonly string[] OtherSources =
        ["MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"];

    public static async Task<NodeTokenResult> GetTokenAsync(string endpoint, string identityHeader, string scope, string? clientId = null)
    {
        EnsurePinnedVersion();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot.FullPath,
        };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(scope);
        if (clientId is not null)
        {
            start.ArgumentList.Add(clientId);
        }

        foreach (var name in OtherSources)
        {
            start.Environment.Remove(name);
        }

        start.Environment["IDENTITY_ENDPOINT"] = endpoint;
        start.Environment["IDENTITY_HEADER"] = identityHeader;
        start.Environment["AZURE_LOG_LEVEL"] = null;

        using var process = Process.Start(start)!;
        // A guard against a hung child, not a timing assertion.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(guard.Token);
        var error = process.StandardError.ReadToEndAsync(guard.Token);
        await process.WaitForExitAsync(guard.Token);
        var line = (await output).Trim();
        if (process.ExitCode != 0 || line.Length == 0)
        {
            throw new InvalidOperationException($"node exited {process.ExitCode}: {line} {await error}");
        }

        return JsonSerializer.Deserialize<NodeTokenResult>(line.Split('\n')[^1], Json)!;
    }

    // Azurite depends on an older @azure/identity: a node_modules installed before the pin would run
    // that one, and the test would pass against a client the lock file does not name.
    private static void EnsurePinnedVersion()
    {
        var root = RepositoryRoot.FullPath;
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "package-lock.json")));
        var pinned = lockFile.RootElement.GetProperty("packages").GetProperty("node_modules/@azure/identity").GetProperty("version").GetString();
        var manifest = Path.Combine(root, "node_modules", "@azure", "identity", "package.json");
        using var installed = File.Exists(manifest) ? JsonDocument.Parse(File.ReadAllText(manifest)) : null;
        var version = installed?.RootElement.GetProperty("version").GetString();
        if (version != pinned)
        {
            throw new InvalidOperationException($"node_modules has @azure/identity {version ?? "(none)"}, package-lock.json pins {pinned}: run npm ci.");
        }
    }
}

/// <summary>What the script printed: the token's SHA-256 and expiry (milliseconds), or the error.</summary>
public sealed record NodeTokenResult(bool Ok, string? Sha256, long? ExpiresOnTimestamp, string? Name, string? Message);
