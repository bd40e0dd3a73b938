using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// Lets the real clients (MSAL, the Azure SDK) dial the real host names while every connection
/// lands on a loopback fake. A host with no fake mapped is refused before any socket opens, so no
/// test can reach Entra, Key Vault, the instance metadata service or anything else off this machine.
/// </summary>
public sealed class LoopbackRouting
{
    private readonly ConcurrentDictionary<string, int> _ports = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every host:port a client dialled, in order, for assertions.</summary>
    public ConcurrentQueue<string> Dialled { get; } = new();

    /// <summary>Sends connections for <paramref name="host"/> (any port) to a loopback port.</summary>
    public LoopbackRouting Map(string host, int loopbackPort)
    {
        _ports[host] = loopbackPort;
        return this;
    }

    /// <summary>
    /// Routes every <see cref="IHttpClientFactory"/> client of <paramref name="services"/> through
    /// primary handlers the container owns: disposed with it, which closes their connections as a
    /// process's exit would. The factory never disposes an active handler when its container is
    /// disposed (and, with an infinite handler lifetime, never at all), so an instance started and
    /// stopped inside a running process (a test, a benchmark's iteration) would otherwise leave its
    /// connections open to the fakes and to Azurite.
    /// </summary>
    public IServiceCollection RouteHttpClients(IServiceCollection services)
    {
        services.AddSingleton(_ => new OwnedHandlers(this));
        return services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler(
            provider => provider.GetRequiredService<OwnedHandlers>().Create()));
    }

    /// <summary>A primary handler for <see cref="IHttpClientFactory"/> clients: routed, and trusting only the fakes' TLS certificate.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        UseProxy = false,
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None ||
                (certificate is not null && certificate.GetCertHashString() == TestCertificates.Tls.Thumbprint),
        },
    };

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = Resolve(context.DnsEndPoint);
        Dialled.Enqueue($"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The loopback endpoint for a host, or an exception naming the host that has no fake.</summary>
    public IPEndPoint Resolve(DnsEndPoint target)
    {
        if (_ports.TryGetValue(target.Host, out var port))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (IPAddress.TryParse(target.Host, out var address) && IPAddress.IsLoopback(address))
        {
            return new IPEndPoint(address, target.Port);
        }

        if (target.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, target.Port);
        }

        throw new UnroutedHostException(target.Host, target.Port);
    }

    private sealed class OwnedHandlers(LoopbackRouting routing) : IDisposable
    {
        private readonly ConcurrentQueue<SocketsHttpHandler> _handlers = new();
        private bool _disposed;

        public SocketsHttpHandler Create()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            var handler = routing.CreateHandler();
            _handlers.Enqueue(handler);
            return handler;
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, true);
            while (_handlers.TryDequeue(out var handler))
            {
                handler.Dispose();
            }
        }
    }
}

/// <summary>A client tried to reach a host that no loopback fake stands in for.</summary>
public sealed class UnroutedHostException(string host, int port)
    : InvalidOperationException($"Test routing refused {host}:{port}: no loopback fake is mapped for this host, and tests never leave the machine.")
{
    public string Host { get; } = host;
}
