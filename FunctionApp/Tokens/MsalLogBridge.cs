using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Abstractions;

namespace TokenFunctions.Tokens;

/// <summary>
/// Sends MSAL's own log to <see cref="ILogger"/>. MSAL scrubs PII unless the client's
/// <c>EnablePiiLog</c> is on; tokens and assertions are never in MSAL's log either way.
/// </summary>
public sealed partial class MsalLogBridge(ILogger logger) : IIdentityLogger
{
    public bool IsEnabled(EventLogLevel eventLogLevel) => logger.IsEnabled(Map(eventLogLevel));

    public void Log(LogEntry entry)
    {
        var level = Map(entry.EventLogLevel);
        if (logger.IsEnabled(level))
        {
            LogMsal(logger, level, entry.Message ?? "");
        }
    }

    private static LogLevel Map(EventLogLevel level) => level switch
    {
        EventLogLevel.Critical => LogLevel.Critical,
        EventLogLevel.Error => LogLevel.Error,
        EventLogLevel.Warning => LogLevel.Warning,
        EventLogLevel.Informational => LogLevel.Debug,
        _ => LogLevel.Trace,
    };

    [LoggerMessage(EventId = 1900, Message = "MSAL: {Message}")]
    private static partial void LogMsal(ILogger logger, LogLevel level, string message);
}
