using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Caching;

/// <summary>
/// Binds one MSAL token cache (MSAL's in-memory L1) to one Table entry (L2) through MSAL's
/// serialization hooks. MSAL serializes calls to these hooks per cache, so the fields need no lock;
/// only <see cref="MarkStale"/> is called from outside that lock.
/// </summary>
internal sealed partial class TableCacheBinding
{
    private const int MaxWriteAttempts = 3;

    private readonly TokenCacheTable _table;
    private readonly CacheEntryKey _key;
    private readonly ILogger _logger;
    private ETag? _etag;
    private volatile bool _current;

    public TableCacheBinding(TokenCacheTable table, CacheEntryKey key, ILogger logger)
    {
        _table = table;
        _key = key;
        _logger = logger;
    }

    public CacheEntryKey Key => _key;

    public void Attach(ITokenCache cache)
    {
        cache.SetBeforeAccessAsync(BeforeAccessAsync);
        cache.SetAfterAccessAsync(AfterAccessAsync);
    }

    /// <summary>
    /// Makes the next MSAL access re-read the Table: another instance may have refreshed the
    /// token that this one is about to ask Entra for.
    /// </summary>
    public void MarkStale() => _current = false;

    private async Task BeforeAccessAsync(TokenCacheNotificationArgs args)
    {
        if (_current)
        {
            return;
        }

        try
        {
            var entry = await _table.ReadAsync(_key, args.CancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                // The ETag is kept even when the entry cannot be read, so the next write replaces it.
                _etag = entry.ETag;
                Load(args.TokenCache, entry);
            }

            _current = true;
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or TimeoutException or OperationCanceledException
            && !args.CancellationToken.IsCancellationRequested)
        {
            // Table trouble is not an outage: MSAL goes on with what it holds in memory.
            LogReadFailed(_logger, _table.TableName, ex.GetType().Name);
        }
    }

    private void Load(ITokenCacheSerializer cache, CacheEntry entry)
    {
        try
        {
            cache.DeserializeMsalV3(entry.Payload.ToArray(), shouldClearExistingCache: true);
        }
        catch (MsalClientException ex)
        {
            // An unreadable entry is a miss: Entra is asked, and the fresh token overwrites it.
            LogEntryUnreadable(_logger, _table.TableName, ex.ErrorCode);
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
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or TimeoutException or OperationCanceledException
            && !args.CancellationToken.IsCancellationRequested)
        {
            // The token is still served from memory; the next write tries the Table again.
            _current = false;
            LogWriteFailed(_logger, _table.TableName, ex.GetType().Name);
        }
    }

    private async Task WriteAsync(TokenCacheNotificationArgs args)
    {
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var writeId = Guid.NewGuid().ToString("N");
            var payload = args.TokenCache.SerializeMsalV3();
            var written = await _table.TryWriteAsync(
                _key, payload, writeId, args.SuggestedCacheExpiry, _etag, args.CancellationToken).ConfigureAwait(false);
            if (written is { } etag)
            {
                _etag = etag;
                _current = true;
                return;
            }

            // Someone else wrote first (or the SDK retried our own write and was told so).
            var remote = await _table.ReadAsync(_key, args.CancellationToken).ConfigureAwait(false);
            if (remote?.WriteId == writeId)
            {
                _etag = remote.ETag;
                _current = true;
                return;
            }

            // Keep both: what the other writer stored is merged into what this instance holds.
            if (remote is not null)
            {
                args.TokenCache.DeserializeMsalV3(remote.Payload.ToArray(), shouldClearExistingCache: false);
            }

            _etag = remote?.ETag;
            LogWriteConflict(_logger, _table.TableName, attempt);
        }

        _current = false;
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "Token cache read from table {Table} failed ({Failure}); serving from memory and Entra")]
    private static partial void LogReadFailed(ILogger logger, string table, string failure);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Token cache write to table {Table} failed ({Failure}); the token is served from memory")]
    private static partial void LogWriteFailed(ILogger logger, string table, string failure);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "Token cache entry in table {Table} could not be read ({Reason}); treated as a miss and overwritten")]
    private static partial void LogEntryUnreadable(ILogger logger, string table, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug,
        Message = "Token cache write to table {Table} met a concurrent write (attempt {Attempt}); merged and retrying")]
    private static partial void LogWriteConflict(ILogger logger, string table, int attempt);
}
