using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>Every configured client, built once at start-up (no I/O) and reused for every call.</summary>
public sealed class ConfidentialClients
{
    private readonly Dictionary<string, ConfidentialClient> _clients;

    internal ConfidentialClients(
        IOptions<TokenCoreOptions> options,
        IOptions<EntraHttpOptions> http,
        MsalApplicationFactory applications,
        TokenCacheTable table,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _clients = new Dictionary<string, ConfidentialClient>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, settings) in options.Value.Clients)
        {
            _clients[name] = new ConfidentialClient(
                name,
                settings,
                CertificateSourceFor(name, settings),
                applications,
                table,
                http.Value,
                time,
                loggers.CreateLogger($"TokenFunctions.Clients.{name}"));
        }
    }

    public IEnumerable<string> Names => _clients.Keys;

    public bool TryGet(string name, [NotNullWhen(true)] out ConfidentialClient? client) =>
        _clients.TryGetValue(name, out client);

    private static ICertificateSource? CertificateSourceFor(string name, ConfidentialClientOptions settings) =>
        settings.Certificate?.Path is { Length: > 0 } path
            ? new PfxFileCertificateSource(name, path, settings.Certificate.Password)
            : null;
}
