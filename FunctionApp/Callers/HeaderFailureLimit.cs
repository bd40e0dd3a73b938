using System.Collections.Concurrent;

namespace TokenFunctions.Callers;

/// <summary>
/// At most <see cref="FailuresPerWindow"/> failed identity-header checks per client in a fixed
/// one-minute window; past that, until the window ends, a failed check is answered 429 with the time
/// left as <c>Retry-After</c>, and not logged one by one. A caller that presents a valid secret is
/// never refused here: an anonymous stranger's failures must not lock the client's real callers out.
/// Guessing gains nothing from the difference, because secrets are 256 random bits.
/// </summary>
public sealed class HeaderFailureLimit(TimeProvider time)
{
    public const int FailuresPerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Counter> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Records one failure for <paramref name="client"/>: null while within the limit (the first failure
    /// past it is reported by <paramref name="limitReached"/>), else how long until the window ends.
    /// </summary>
    public TimeSpan? RecordFailure(string client, out bool limitReached)
    {
        var counter = _clients.GetOrAdd(client, _ => new Counter());
        var now = time.GetUtcNow();
        lock (counter)
        {
            if (now >= counter.WindowStart + Window)
            {
                counter.WindowStart = now;
                counter.Failures = 0;
            }

            counter.Failures++;
            limitReached = counter.Failures == FailuresPerWindow + 1;
            return counter.Failures > FailuresPerWindow ? counter.WindowStart + Window - now : null;
        }
    }

    private sealed class Counter
    {
        public DateTimeOffset WindowStart { get; set; } = DateTimeOffset.MinValue;

        public int Failures { get; set; }
    }
}
