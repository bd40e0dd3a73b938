using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

/// <summary>
/// Removal, fleet-wide. A client's removal generation is a sealed record in the client's own app-token
/// partition (which a removal empties of everything else), bumped by every removal. Each instance
/// re-reads it at most every <c>TokenCache__RemovalPropagation</c> before serving a token from memory;
/// every read of a token row brings it along in the same query (<see cref="Observe"/>); and every write
/// of the client's tokens is stamped with the generation its acquisition started under. So a token
/// cached before a removal is not served from memory after the propagation interval, and a row stamped
/// before a removal is a miss on every instance, however late an acquisition that was under way wrote it.
/// </summary>
public sealed class ClientRemovals
{
    private const int MaxWriteAttempts = 5;

    private readonly BrokerRecords _records;
    private readonly CacheEntryKey _record;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _current;
    private long _checkedUntilTicks;
    private Task? _checking;

    public ClientRemovals(BrokerRecords records, string clientPartition, IOptions<TokenCacheOptions> options, TimeProvider time)
    {
        _records = records;
        _record = new CacheEntryKey(clientPartition, CacheKeys.RemovalRow);
        _interval = options.Value.RemovalPropagation;
        _time = time;

        // A new instance holds nothing that a removal could have been meant for: what it loads from
        // the Table was written under the record's check, so its first check can wait an interval.
        _checkedUntilTicks = time.GetUtcNow().Add(_interval).UtcTicks;
    }

    /// <summary>
    /// The last check could not read the record: a removal may have happened unseen, so memory must go
    /// (one Entra call per key and interval while the Table cannot be read — the price of never
    /// serving a removed token).
    /// </summary>
    public bool Unknown { get; private set; }

    /// <summary>The latest removal generation this instance knows of (0: never removed).</summary>
    public long Current => Interlocked.Read(ref _current);

    /// <summary>Whether memory may be served without asking the Table: the last check is recent enough.</summary>
    public bool IsCurrent => IsCurrentAt(_time.GetUtcNow());

    /// <summary><see cref="IsCurrent"/> at a time the caller read already (the hot path reads the clock once).</summary>
    public bool IsCurrentAt(DateTimeOffset now) => now.UtcTicks < Interlocked.Read(ref _checkedUntilTicks);

    /// <summary>
    /// Reads the record, one read shared by concurrent callers, and learns any removal this instance
    /// did not know of (<see cref="Current"/>). A Table that cannot be read leaves things as they are
    /// until the next interval: a removal cannot be recorded then either.
    /// </summary>
    public Task CheckAsync()
    {
        lock (_gate)
        {
            return _checking ??= CheckOnceAsync();
        }
    }

    /// <summary>The record as it is now: the generation a write must not be older than.</summary>
    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        var payload = await _records.ReadSealedAsync(_record, cancellationToken).ConfigureAwait(false);
        var generation = Generation(payload);
        Learn(generation);
        return Math.Max(generation, Current);
    }

    /// <summary>The clock this instance's checks are timed by (a check holds from when its read was sent).</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// Learns of any removal the record names, as read beside a token row (null: none recorded). With
    /// <paramref name="asked"/> (when that read was sent), the read was as good as a check and counts as one.
    /// </summary>
    public void Observe(byte[]? record, DateTimeOffset? asked)
    {
        Learn(Generation(record));
        if (asked is { } sent)
        {
            Unknown = false;
            ExtendCheck(sent);
        }
    }

    /// <summary>Records a removal and returns its generation (throws <see cref="TokenCacheUnavailableException"/>).</summary>
    public async Task<long> RemoveAsync(CancellationToken cancellationToken)
    {
        // Conditional on the record as read, so that two removals at once never leave the lower
        // generation behind (which would let tokens acquired between them be written back).
        long generation;
        for (var attempt = 1; ; attempt++)
        {
            var (payload, etag) = await _records.ReadSealedForUpdateAsync(_record, cancellationToken).ConfigureAwait(false);
            var recorded = Math.Max(Generation(payload), Current);

            // Later than every removal before it, whichever instance's clock recorded those.
            generation = Math.Max(_time.GetUtcNow().UtcTicks, recorded + 1);
            if (await _records.TryWriteSealedAsync(_record, BitConverter.GetBytes(generation), etag, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            if (attempt == MaxWriteAttempts)
            {
                throw new TokenCacheUnavailableException("The removal record kept changing under concurrent removals.");
            }
        }

        Learn(generation);
        Interlocked.Exchange(ref _checkedUntilTicks, _time.GetUtcNow().Add(_interval).UtcTicks);
        return generation;
    }

    private async Task CheckOnceAsync()
    {
        try
        {
            await Task.Yield();

            // What the read says holds from when it was sent, not from when it came back.
            var asked = _time.GetUtcNow();
            try
            {
                await ReadAsync(CancellationToken.None).ConfigureAwait(false);
                Unknown = false;
            }
            catch (TokenCacheUnavailableException)
            {
                // A removal this instance cannot learn of may have happened: what it holds is not to be
                // trusted, and is forgotten (see Unknown); tokens it gets from now on are newer than
                // any removal it missed.
                Unknown = true;
            }

            Interlocked.Exchange(ref _checkedUntilTicks, asked.Add(_interval).UtcTicks);
        }
        finally
        {
            lock (_gate)
            {
                _checking = null;
            }
        }
    }

    private void ExtendCheck(DateTimeOffset asked)
    {
        long known;
        var until = asked.Add(_interval).UtcTicks;
        while (until > (known = Interlocked.Read(ref _checkedUntilTicks)) && Interlocked.CompareExchange(ref _checkedUntilTicks, until, known) != known)
        {
        }
    }

    private static long Generation(byte[]? record) => record is { Length: 8 } ? BitConverter.ToInt64(record) : 0;

    private void Learn(long generation)
    {
        long known;
        while (generation > (known = Interlocked.Read(ref _current)) && Interlocked.CompareExchange(ref _current, generation, known) != known)
        {
        }
    }
}
