using Microsoft.Extensions.Logging;

namespace TokenFunctions.Telemetry;

/// <summary>
/// The <see cref="ILogger{TCategoryName}"/> of <typeparamref name="T"/> (same category, same lines),
/// created when it is first asked whether it logs rather than with its owner: a part that logs only
/// when something goes wrong (a Table outage, Entra throttling, a region detection) then costs a new
/// instance nothing for it, where creating a category's logger costs about 3 KB (more with the
/// host's providers).
/// </summary>
public sealed class DeferredLogger<T>(ILoggerFactory loggers) : ILogger<T>
{
    // Two threads may both create a wrapper; both wrap the factory's one logger of the category.
    private ILogger<T>? _logger;

    private ILogger<T> Logger => _logger ??= Create(loggers);

    // A part whose first line comes after the container is disposed (a Table call failing during
    // shutdown) must not throw where an eager logger would have written nowhere.
    private static ILogger<T> Create(ILoggerFactory loggers)
    {
        try
        {
            return loggers.CreateLogger<T>();
        }
        catch (ObjectDisposedException)
        {
            return Microsoft.Extensions.Logging.Abstractions.NullLogger<T>.Instance;
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => Logger.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => Logger.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Logger.Log(logLevel, eventId, state, exception, formatter);
}
