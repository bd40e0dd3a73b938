using System.Collections.Concurrent;

namespace TokenFunctions.Tokens;

/// <summary>
/// Claims challenges bypass every cache by design, so each new one is a call to Entra; a caller that
/// kept sending new ones could push a resource into Entra's throttling for every other caller. At most
/// <see cref="PerMinute"/> challenges per resource of a client reach Entra from this instance in any
/// minute; past that the answer is 429 with <c>Retry-After</c>. Identical challenges arriving together
/// share one call and count once.
/// </summary>
public sealed class ClaimsChallengeLimit(TimeProvider time)
{
    public const int PerMinute = 10;
    private const int MaxResources = 256;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _recent = new(StringComparer.Ordinal);

    /// <summary>The answer past the limit: 429 with <c>Retry-After</c>.</summary>
    public static TokenError Refusal(string client, TimeSpan wait) =>
        new(TokenErrorKind.Throttled, "temporarily_unavailable",
            $"Client '{client}' sent Entra {PerMinute} claims challenges for this resource within a minute; retry after the indicated time.")
        {
            RetryAfter = wait,
        };

    /// <summary>Null when a challenge for <paramref name="resource"/> may go to Entra now (and counts it); else how long to wait.</summary>
    public TimeSpan? TryTake(string resource)
    {
        var now = time.GetUtcNow();
        if (_recent.Count >= MaxResources && !_recent.ContainsKey(resource) && !MakeRoom(now))
        {
            // Every tracked resource had a challenge within the minute: a new one waits its turn, rather
            // than the counts of the others being forgotten to make room for it.
            return Window;
        }

        var recent = _recent.GetOrAdd(resource, _ => new Queue<DateTimeOffset>());
        lock (recent)
        {
            while (recent.Count > 0 && recent.Peek() <= now - Window)
            {
                recent.Dequeue();
            }

            if (recent.Count >= PerMinute)
            {
                return recent.Peek() + Window - now;
            }

            recent.Enqueue(now);
            return null;
        }
    }

    private bool MakeRoom(DateTimeOffset now)
    {
        foreach (var (resource, recent) in _recent)
        {
            bool idle;
            lock (recent)
            {
                idle = recent.Count == 0 || recent.Last() <= now - Window;
            }

            if (idle)
            {
                _recent.TryRemove(resource, out _);
            }
        }

        return _recent.Count < MaxResources;
    }
}
