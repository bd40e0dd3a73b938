using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Caching;

/// <summary>
/// Table trouble is not an outage. After a failed Table call, requests skip the Table for a back-off
/// period and are served from memory and Entra; then one request tries the Table again. An outage
/// is logged once when it starts and once when it ends, however many requests it touches.
/// </summary>
public sealed partial class TableAvailability(TimeProvider time, IOptions<TokenCacheOptions> options, ILoggerFactory loggers)
{
    private readonly TimeSpan _backoff = options.Value.OutageBackoff;
    private readonly DeferredLogger<TableAvailability> _logger = new(loggers);
    private long _skipUntilTicks;
    private int _down;
    private long _failures;

    /// <summary>False while a recent failure says the Table should be left alone.</summary>
    public bool ShouldTry => time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _skipUntilTicks);

    /// <summary>Failed Table calls since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void ReportFailure(string operation, Exception exception)
    {
        Interlocked.Increment(ref _failures);
        Interlocked.Exchange(ref _skipUntilTicks, time.GetUtcNow().Add(_backoff).UtcTicks);
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            LogOutage(_logger, operation, exception.GetType().Name, _backoff);
        }
    }

    public void ReportSuccess()
    {
        if (Volatile.Read(ref _down) == 1 && Interlocked.Exchange(ref _down, 0) == 1)
        {
            LogRecovered(_logger, Failures);
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "Token cache table unavailable ({Operation} failed: {Failure}); serving from memory and Entra, retrying the table after {Backoff}")]
    private static partial void LogOutage(ILogger logger, string operation, string failure, TimeSpan backoff);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "Token cache table available again ({Failures} failed calls since start)")]
    private static partial void LogRecovered(ILogger logger, long failures);
}
