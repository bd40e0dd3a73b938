using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using TokenFunctions.Caching;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Tokens;

/// <summary>
/// When Entra says "retry after", every instance holds back, not only the one that was told: the
/// deadline is kept in memory and in the Table beside the resource's tokens, and checked just before
/// MSAL would send a request to Entra (never on a cache hit). The record is read in the same query as
/// the tokens when the acquisition read them (<see cref="TableCacheBinding.TryGetThrottleRecord"/>),
/// and on its own only when it did not.
/// </summary>
public sealed partial class EntraThrottle(BrokerRecords records, TimeProvider time, ILoggerFactory loggers)
{
    internal const int MaxRemembered = 1024;
    private static readonly TimeSpan MaxHoldBack = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<CacheEntryKey, DateTimeOffset> _until = new();
    private readonly DeferredLogger<EntraThrottle> _logger = new(loggers);

    /// <summary>
    /// Throws <see cref="EntraThrottledException"/> while this resource of this client is throttled:
    /// by what this instance was told, or by the record in the Table, read now — unless
    /// <paramref name="binding"/> read it moments ago, beside the tokens, in this same acquisition.
    /// </summary>
    public async Task EnsureNotThrottledAsync(CacheEntryKey key, TableCacheBinding? binding, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_until.TryGetValue(key, out var until) && until > now)
        {
            throw new EntraThrottledException(until - now);
        }

        byte[]? payload;
        if (binding is not null && binding.TryGetThrottleRecord(out var asRead))
        {
            payload = asRead;
        }
        else
        {
            try
            {
                payload = await records.ReadSealedAsync(RecordOf(key), cancellationToken).ConfigureAwait(false);
            }
            catch (TokenCacheUnavailableException)
            {
                // Without the Table, only this instance's own knowledge applies.
                return;
            }
        }

        if (payload is { Length: 8 } && DateTimeOffset.FromUnixTimeMilliseconds(BitConverter.ToInt64(payload)) is var shared && shared > now)
        {
            // Bounded, whatever the record says: a throttle never holds back longer than Entra ever asks.
            shared = shared - now > MaxHoldBack ? now + MaxHoldBack : shared;
            Remember(key, shared);
            throw new EntraThrottledException(shared - now);
        }
    }

    /// <summary>Throws <see cref="EntraThrottledException"/> while this resource of this client is throttled (reads the record).</summary>
    public Task EnsureNotThrottledAsync(CacheEntryKey key, CancellationToken cancellationToken) =>
        EnsureNotThrottledAsync(key, binding: null, cancellationToken);

    /// <summary>How many throttles this instance remembers (bounded by <see cref="MaxRemembered"/>).</summary>
    internal int Remembered => _until.Count;

    public async Task RecordAsync(CacheEntryKey key, TimeSpan retryAfter, string client)
    {
        retryAfter = retryAfter > MaxHoldBack ? MaxHoldBack : retryAfter;
        var until = time.GetUtcNow() + retryAfter;
        Remember(key, until);
        LogThrottled(_logger, client, retryAfter);
        try
        {
            // Sealed, so that whoever can write the Table cannot stop the broker from calling Entra.
            await records.WriteSealedAsync(RecordOf(key), BitConverter.GetBytes(until.ToUnixTimeMilliseconds()), until, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TokenCacheUnavailableException)
        {
            // Other instances learn it from Entra themselves.
        }
    }

    // Keyed by row, and on-behalf-of rows are per user: bounded, dropping what has passed first. What
    // is dropped is still in the Table, read again before the next request to Entra.
    private void Remember(CacheEntryKey key, DateTimeOffset until)
    {
        if (_until.Count >= MaxRemembered)
        {
            var now = time.GetUtcNow();
            foreach (var (passedKey, passed) in _until)
            {
                if (passed <= now)
                {
                    _until.TryRemove(passedKey, out _);
                }
            }

            if (_until.Count >= MaxRemembered)
            {
                _until.Clear();
            }
        }

        _until[key] = until;
    }

    // Beside the resource's tokens, in the client's partition: read with them, removed with them.
    private static CacheEntryKey RecordOf(CacheEntryKey tokens) => tokens with { RowKey = CacheKeys.ThrottleRow(tokens.RowKey) };

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning,
        Message = "Client {Client}: Entra throttles token requests; holding back every instance for {RetryAfter}")]
    private static partial void LogThrottled(ILogger logger, string client, TimeSpan retryAfter);
}
