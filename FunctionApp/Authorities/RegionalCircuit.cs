using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Authorities;

/// <summary>
/// After repeated regional failures a client goes straight to the global endpoint for a cool-down,
/// then lets one request probe the region again (closed, open, half-open). MSAL.NET itself never
/// falls back from a failing regional endpoint.
/// </summary>
public sealed partial class RegionalCircuit(string client, int threshold, TimeSpan coolDown, TimeProvider time, TokenTelemetry telemetry, ILogger logger)
{
    private readonly Lock _gate = new();
    private int _consecutiveFailures;
    private DateTimeOffset? _openUntil;
    private bool _probing;

    public string State
    {
        get
        {
            lock (_gate)
            {
                return _openUntil is null ? "closed" : _probing || time.GetUtcNow() >= _openUntil ? "half_open" : "open";
            }
        }
    }

    /// <summary>Whether this request may try the regional endpoint.</summary>
    public bool AllowRegional()
    {
        lock (_gate)
        {
            if (_openUntil is null)
            {
                return true;
            }

            if (time.GetUtcNow() < _openUntil || _probing)
            {
                return false;
            }

            _probing = true;
            return true;
        }
    }

    public void RecordSuccess()
    {
        lock (_gate)
        {
            if (_openUntil is not null)
            {
                LogClosed(logger, client);
                telemetry.CircuitChanged(client, "closed");
            }

            _consecutiveFailures = 0;
            _openUntil = null;
            _probing = false;
        }
    }

    /// <summary>A probe that ended without telling whether the region works: the next request may probe again.</summary>
    public void ReleaseProbe()
    {
        lock (_gate)
        {
            _probing = false;
        }
    }

    public void RecordFailure()
    {
        lock (_gate)
        {
            _consecutiveFailures++;
            if (_probing || (_openUntil is null && _consecutiveFailures >= threshold))
            {
                _openUntil = time.GetUtcNow() + coolDown;
                _probing = false;
                LogOpened(logger, client, _consecutiveFailures, coolDown);
                telemetry.CircuitChanged(client, "open");
            }
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "Client {Client}: regional endpoint failed {Failures} times in a row; using the global endpoint for {CoolDown}")]
    private static partial void LogOpened(ILogger logger, string client, int failures, TimeSpan coolDown);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information,
        Message = "Client {Client}: regional endpoint answered again; back to regional")]
    private static partial void LogClosed(ILogger logger, string client);
}
