using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Caching;

/// <summary>
/// Binds one MSAL token cache (MSAL's in-memory L1) to one Table entry (L2) through MSAL's
/// serialization hooks. Once loaded, the entry is not read again until <see cref="MarkStale"/> says
/// another instance may have changed it, so MSAL calls that hit memory cost no Table I/O. MSAL
/// serializes calls to these hooks per cache, so the fields need no lock; only the volatile flag is
/// touched from outside it.
/// </summary>
public sealed partial class TableCacheBinding
{
    private const int MaxWriteAttempts = 3;

    private readonly TokenCacheTable _table;
    private readonly CacheEntryKey _key;
    private readonly ILogger _logger;
    private readonly DateTimeOffset? _expiresNoLaterThan;
    private readonly ClientRemovals? _removals;
    private readonly long _generation;
    private ETag? _etag;
    private volatile bool _current;
    private volatile ThrottleRecordRead? _throttleRecord;
    private TokenRowRead? _handedRead;
    private long _reads;

    /// <param name="removals">For a client's app tokens: its removals, which the entry's writes must not predate.</param>
    /// <param name="generation">The removal generation this binding's tokens are acquired under.</param>
    public TableCacheBinding(
        TokenCacheTable table, CacheEntryKey key, ILogger logger, DateTimeOffset? expiresNoLaterThan = null, ClientRemovals? removals = null, long generation = 0)
    {
        _table = table;
        _key = key;
        _logger = logger;
        _expiresNoLaterThan = expiresNoLaterThan;
        _removals = removals;
        _generation = generation;
    }

    /// <summary>The Table row this cache is bound to.</summary>
    public CacheEntryKey Key => _key;

    /// <summary>How many times this binding has read its entry from the Table.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public void Attach(ITokenCache cache)
    {
        cache.SetBeforeAccessAsync(BeforeAccessAsync);
        cache.SetAfterAccessAsync(AfterAccessAsync);
    }

    /// <summary>
    /// Makes the next MSAL access re-read the Table: another instance may have refreshed the token
    /// this one is about to ask Entra for.
    /// </summary>
    public void MarkStale() => _current = false;

    /// <summary>
    /// The next MSAL access loads <paramref name="read"/>, a read of this row the acquisition under way
    /// made itself (and whose removal record it observed), instead of reading the Table again.
    /// </summary>
    public void UseRead(TokenRowRead read)
    {
        Volatile.Write(ref _handedRead, read);
        _current = false;
    }

    /// <summary>
    /// An acquisition begins: from now on, <see cref="TryGetThrottleRecord"/> answers only with what a
    /// read made after this point found.
    /// </summary>
    public void BeginAcquisition()
    {
        _throttleRecord = null;

        // A read handed over by an acquisition that ended before MSAL got to its cache is not this one's.
        Volatile.Write(ref _handedRead, null);
    }

    /// <summary>
    /// The throttle record of this row as the last read found it (<paramref name="record"/> null: none),
    /// if that read came after the latest <see cref="BeginAcquisition"/>: the acquisition under way then
    /// knows what every instance has recorded, without another round trip. False: ask the Table.
    /// </summary>
    public bool TryGetThrottleRecord(out byte[]? record)
    {
        var read = _throttleRecord;
        record = read?.Record;
        return read is not null;
    }

    private async Task BeforeAccessAsync(TokenCacheNotificationArgs args)
    {
        if (_current)
        {
            return;
        }

        var asked = _removals?.Now;
        try
        {
            var handed = Interlocked.Exchange(ref _handedRead, null);
            var read = handed ?? await _table.ReadAsync(_key, withRemovalRecord: _removals is not null, args.CancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _reads);
            _throttleRecord = new ThrottleRecordRead(read.ThrottleRecord);
            _removals?.Observe(read.RemovalRecord, handed is null ? asked : null);
            var loaded = false;
            if (read.Entry is { } entry)
            {
                // The ETag is kept even when the entry cannot be opened, so the next write replaces it.
                _etag = entry.ETag;
                if (IsRemoved(entry))
                {
                    LogEntryRemoved(_logger, _table.TableName);
                }
                else
                {
                    loaded = Load(args.TokenCache, entry);
                }
            }

            if (!loaded && IsPredatedByRemoval)
            {
                // The read brought news of a removal: what MSAL holds in memory was acquired before it.
                args.TokenCache.DeserializeMsalV3([], shouldClearExistingCache: true);
            }

            _current = true;
        }
        catch (TokenCacheUnavailableException)
        {
            // Logged once per outage by TableAvailability; MSAL goes on with what it holds in memory —
            // unless this read was to be the client's removal check: a removal may then have gone
            // unseen, so memory is not to be trusted (the next request's own check says the rest).
            if (_removals is not null && !_removals.IsCurrent)
            {
                args.TokenCache.DeserializeMsalV3([], shouldClearExistingCache: true);
            }
        }
    }

    // A removal this binding's acquisitions started before (its tokens must neither be served nor written).
    private bool IsPredatedByRemoval => _removals is not null && _removals.Current > _generation;

    private bool Load(ITokenCacheSerializer cache, CacheEntry entry)
    {
        if (entry.Payload is null)
        {
            LogEntryUnreadable(_logger, _table.TableName, "sealed for another row, with an unknown key, altered, or not an entry of this broker");
            return false;
        }

        try
        {
            cache.DeserializeMsalV3(entry.Payload, shouldClearExistingCache: true);
            return true;
        }
        catch (MsalClientException ex)
        {
            // An unreadable entry is a miss: Entra is asked, and the fresh token overwrites it.
            LogEntryUnreadable(_logger, _table.TableName, ex.ErrorCode);
            return false;
        }
    }

    private async Task AfterAccessAsync(TokenCacheNotificationArgs args)
    {
        if (!args.HasStateChanged)
        {
            return;
        }

        try
        {
            await WriteAsync(args).ConfigureAwait(false);
        }
        catch (TokenCacheUnavailableException)
        {
            // The token is still served from memory; the next change tries the Table again.
            _current = false;
        }
    }

    private async Task WriteAsync(TokenCacheNotificationArgs args)
    {
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            if (IsPredatedByRemoval)
            {
                // The client's tokens were removed while these were being acquired: they do not go back.
                // (A removal this instance has not heard of yet is caught by every reader instead: the row
                // is stamped with the generation it was acquired under, read beside the removal record.)
                LogWriteAbandoned(_logger, _table.TableName);
                _current = false;
                return;
            }

            var writeId = Guid.NewGuid().ToString("N");
            var mine = args.TokenCache.SerializeMsalV3();
            var expiresOn = args.SuggestedCacheExpiry is { } suggested && _expiresNoLaterThan is { } limit && limit < suggested
                ? limit
                : args.SuggestedCacheExpiry ?? _expiresNoLaterThan;
            var written = await _table.TryWriteAsync(_key, mine, writeId, _generation, expiresOn, _etag, args.CancellationToken).ConfigureAwait(false);
            if (written is { } etag)
            {
                _etag = etag;
                _current = true;
                return;
            }

            var reread = await _table.ReadAsync(_key, withRemovalRecord: _removals is not null, args.CancellationToken).ConfigureAwait(false);
            _removals?.Observe(reread.RemovalRecord, asked: null);
            var remote = reread.Entry;
            if (remote?.WriteId == writeId)
            {
                // The SDK retried a write that had already landed and was told 409/412: it was ours.
                LogOwnWriteRecognised(_logger, _table.TableName);
                _etag = remote.ETag;
                _current = true;
                return;
            }

            // Another instance wrote first. Keep what it stored, and let what this instance just
            // obtained win where both hold the same token key: it is the freshest.
            if (remote?.Payload is { } theirs && !IsRemoved(remote))
            {
                try
                {
                    args.TokenCache.DeserializeMsalV3(theirs, shouldClearExistingCache: true);
                }
                catch (MsalClientException ex)
                {
                    // Nothing of theirs to keep; what this instance holds replaces it.
                    LogEntryUnreadable(_logger, _table.TableName, ex.ErrorCode);
                }

                args.TokenCache.DeserializeMsalV3(mine, shouldClearExistingCache: false);
            }

            _etag = remote?.ETag;
            LogWriteConflict(_logger, _table.TableName, attempt);
        }

        _current = false;
    }

    // Written before a removal this instance knows of (its writer's acquisition was already under way).
    private bool IsRemoved(CacheEntry entry) => _removals is not null && entry.Generation < _removals.Current;

    /// <summary>A read's finding about the throttle record: <see cref="Record"/> null when there was none.</summary>
    private sealed record ThrottleRecordRead(byte[]? Record);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information,
        Message = "Token cache entry in table {Table} predates a removal of the client's tokens; treated as a miss")]
    private static partial void LogEntryRemoved(ILogger logger, string table);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information,
        Message = "Tokens acquired before a removal of the client's tokens were not written to table {Table}")]
    private static partial void LogWriteAbandoned(ILogger logger, string table);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "Token cache write to table {Table} met a concurrent write (attempt {Attempt}); merged and retrying")]
    private static partial void LogWriteConflict(ILogger logger, string table, int attempt);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "Token cache entry in table {Table} could not be read ({Reason}); treated as a miss and overwritten")]
    private static partial void LogEntryUnreadable(ILogger logger, string table, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug,
        Message = "Token cache write to table {Table} was retried by the SDK after it had landed; recognised as this instance's own")]
    private static partial void LogOwnWriteRecognised(ILogger logger, string table);
}
