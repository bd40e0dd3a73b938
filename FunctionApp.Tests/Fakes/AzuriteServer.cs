using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// Azurite's Table service, run by the tests themselves from the repository's pinned npm package:
/// loopback only, a free port outside the ephemeral range, in-memory, telemetry off. It can be stopped and started again on the
/// same port to play a Table outage. With identity access it serves HTTPS (the fakes' certificate)
/// and accepts bearer tokens, as a storage account with shared keys off does.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's published development account: a well-known public value, not a secret.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const int FirstPort = 20000;
    private const int PortCount = 12000;

    private readonly string _script;
    private readonly string? _tlsDirectory;
    private Process? _process;

    private AzuriteServer(string script, int port, string? tlsDirectory)
    {
        _script = script;
        Port = port;
        _tlsDirectory = tlsDirectory;
    }

    public int Port { get; }

    /// <summary>The Table endpoint with the account in the path, as Azurite names it.</summary>
    public string TableEndpoint => $"{(_tlsDirectory is null ? "http" : "https")}://127.0.0.1:{Port}/{AccountName}";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};";

    /// <summary>
    /// The claims Azurite checks in a bearer token (it does not check the signature): a storage
    /// audience, an Entra issuer, and a lifetime around now.
    /// </summary>
    public static string StorageBearerToken()
    {
        static string Segment(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Segment("""{"alg":"RS256","typ":"JWT"}""") + "." +
               Segment($$"""{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/{{Guid.Empty}}/","iat":{{now - 60}},"nbf":{{now - 60}},"exp":{{now + 3600}}}""") +
               ".c2lnbmF0dXJl";
    }

    /// <param name="identityAccess">HTTPS with bearer tokens (Azurite's basic OAuth) beside the shared key.</param>
    public static async Task<AzuriteServer> StartAsync(bool identityAccess = false)
    {
        var script = Path.Combine(RepositoryRoot.FullPath, "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {script}. Run 'npm ci' in the repository root (the test project's build does this when node_modules is missing).");
        }

        string? tlsDirectory = null;
        if (identityAccess)
        {
            tlsDirectory = Directory.CreateTempSubdirectory("tokenfunctions-azurite-").FullName;
            using var key = TestCertificates.Tls.GetRSAPrivateKey()!;
            await File.WriteAllTextAsync(Path.Combine(tlsDirectory, "cert.pem"), TestCertificates.Tls.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(tlsDirectory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        }

        for (var attempt = 1; ; attempt++)
        {
            var server = new AzuriteServer(script, UnusedLoopbackPort(), tlsDirectory);
            try
            {
                await server.StartAsync(CancellationToken.None);
                return server;
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                // Another process bound the port between our check and Azurite's start: pick another.
                await server.StopAsync();
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            _script, "--tableHost", "127.0.0.1", "--tablePort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (_tlsDirectory is not null)
        {
            foreach (var argument in new[]
            {
                "--cert", Path.Combine(_tlsDirectory, "cert.pem"), "--key", Path.Combine(_tlsDirectory, "key.pem"), "--oauth", "basic",
            })
            {
                start.ArgumentList.Add(argument);
            }
        }

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.Contains("successfully started", StringComparison.OrdinalIgnoreCase) == true)
            {
                listening.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            // Under the lock: the output handlers may still be appending (reading it unlocked crashed the test host once).
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            listening.TrySetException(new InvalidOperationException($"Azurite exited before listening:\n{text}"));
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"Azurite did not start listening within 60 s:\n{output}");
        }
    }

    /// <summary>Stops the server (its in-memory data is lost), as a Table outage would look to a client.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_tlsDirectory is not null)
        {
            Directory.Delete(_tlsDirectory, recursive: true);
        }
    }

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range (32768-60999 on Linux, 49152 and up
    /// elsewhere). The kernel never hands such a port to another socket bound to port 0 or to an
    /// outgoing connection, so the port of a server stopped to play an outage is still free when the
    /// test starts it again, however many other fakes and clients the parallel tests open meanwhile.
    /// </summary>
    private static int UnusedLoopbackPort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = FirstPort + Random.Shared.Next(PortCount);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken (by another test process's Azurite, say): try another.
            }
        }

        throw new InvalidOperationException($"No free loopback port in {FirstPort}-{FirstPort + PortCount - 1}.");
    }
}
