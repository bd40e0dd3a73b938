using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>Every configured client, built once at start-up (no I/O) and reused for every call.</summary>
public sealed class ConfidentialClients : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<string, ConfidentialClient> _clients;

    internal ConfidentialClients(
        IOptions<TokenCoreOptions> options,
        IOptions<EntraHttpOptions> http,
        MsalApplicationFactory applications,
        CertificateSourceFactory certificates,
        TokenCacheTable table,
        RegionResolver regions,
        EntraThrottle throttle,
        Diagnostics.TokenTelemetry telemetry,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _clients = new Dictionary<string, ConfidentialClient>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, settings) in options.Value.Clients)
        {
            var certificateSource = certificates.Create(name, settings);
            if (certificateSource is IDisposable disposable)
            {
                _owned.Add(disposable);
            }

            var logger = loggers.CreateLogger($"TokenFunctions.Clients.{name}");
            var exchange = new EntraExchange(name, settings, certificateSource, applications, table, regions, throttle, http.Value, telemetry, time, logger);
            _clients[name] = new ConfidentialClient(name, settings, certificateSource, exchange, applications, table, telemetry, time, logger);
        }
    }

    public IEnumerable<string> Names => _clients.Keys;

    public IEnumerable<ConfidentialClient> All => _clients.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out ConfidentialClient? client) =>
        _clients.TryGetValue(name, out client);

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}
