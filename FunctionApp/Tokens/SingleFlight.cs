using System.Collections.Concurrent;

namespace TokenFunctions.Tokens;

/// <summary>
/// Concurrent callers with the same key share one run of the work: the first starts it, the others
/// wait for it. Each caller waits with its own cancellation; the run itself belongs to no caller and
/// runs on its own budget. The key is free again as soon as the run ends, success or not.
/// </summary>
public sealed class SingleFlight<T>(IEqualityComparer<string> comparer)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<T>>> _flights = new(comparer);

    public async Task<T> RunAsync(string key, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var flight = _flights.GetOrAdd(key, _ => new Lazy<Task<T>>(() => FlyAsync(key, work)));
        return await flight.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> FlyAsync(string key, Func<Task<T>> work)
    {
        try
        {
            // Off the first caller's stack, so that its GetOrAdd returns before the work starts.
            await Task.Yield();
            return await work().ConfigureAwait(false);
        }
        finally
        {
            _flights.TryRemove(key, out _);
        }
    }
}
