using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

/// <summary>
/// The Table half of the token cache: sealed point reads, conditional writes, partition deletes,
/// each time-boxed. It knows nothing of MSAL; <see cref="TableCacheBinding"/> connects the two.
/// Every failure is reported to <see cref="TableAvailability"/> and surfaces as
/// <see cref="TokenCacheUnavailableException"/>, which callers treat as "no Table this time".
/// </summary>
internal sealed partial class TokenCacheTable
{
    /// <summary>A binary property holds at most 64 KiB; one resource's tokens are a few KiB.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    private const string PayloadProperty = "Payload";
    private const string KeyIdProperty = "KeyId";
    private const string WriteIdProperty = "WriteId";
    private const string ExpiresOnProperty = "ExpiresOn";

    private readonly TableClient _table;
    private readonly CacheEntryCipher _cipher;
    private readonly TableAvailability _availability;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Diagnostics.TokenTelemetry _telemetry;
    private readonly ILogger _logger;

    public TokenCacheTable(
        TableServiceClient service,
        CacheEntryCipher cipher,
        TableAvailability availability,
        IOptions<TokenCacheOptions> options,
        Diagnostics.TokenTelemetry telemetry,
        TimeProvider time,
        ILogger<TokenCacheTable> logger)
    {
        _telemetry = telemetry;
        _table = service.GetTableClient(options.Value.TableName);
        _cipher = cipher;
        _availability = availability;
        _timeout = options.Value.OperationTimeout;
        _time = time;
        _logger = logger;
    }

    public string TableName => _table.Name;

    /// <summary>Reads and opens one entry; a missing entry or table is a miss (null).</summary>
    public Task<CacheEntry?> ReadAsync(CacheEntryKey key, CancellationToken cancellationToken) =>
        RunAsync("read", async ct =>
        {
            try
            {
                var response = await _table.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, key.RowKey, cancellationToken: ct).ConfigureAwait(false);
                if (!response.HasValue || response.Value is not { } entity)
                {
                    return null;
                }

                var payload = entity.GetBinary(PayloadProperty) is { } sealedPayload
                    ? _cipher.TryOpen(sealedPayload, entity.GetString(KeyIdProperty), key)
                    : null;
                return new CacheEntry(key, payload, entity.GetString(WriteIdProperty), entity.ETag);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return (CacheEntry?)null;
            }
        }, cancellationToken);

    /// <summary>
    /// Seals and writes an entry only if it still has the ETag it was read at (with no ETag: only if
    /// it does not exist yet). Returns the new ETag, or null when another writer got there first.
    /// </summary>
    public Task<ETag?> TryWriteAsync(
        CacheEntryKey key,
        byte[] payload,
        string writeId,
        DateTimeOffset? expiresOn,
        ETag? ifMatch,
        CancellationToken cancellationToken)
    {
        var sealedPayload = _cipher.Seal(payload, key);
        if (sealedPayload.Length > MaxPayloadBytes)
        {
            // Never truncate a cache: an entry that cannot be stored whole is not stored at all.
            LogPayloadTooLarge(_logger, _table.Name, sealedPayload.Length, MaxPayloadBytes);
            throw new TokenCacheUnavailableException($"The cache entry of {sealedPayload.Length} bytes is over the Table's limit.");
        }

        var entity = new TableEntity(key.PartitionKey, key.RowKey)
        {
            [PayloadProperty] = sealedPayload,
            [KeyIdProperty] = _cipher.CurrentKeyId,
            [WriteIdProperty] = writeId,
            [ExpiresOnProperty] = expiresOn,
        };

        return RunAsync("write", async ct =>
        {
            try
            {
                return await WriteAsync(entity, ifMatch, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
            {
                // Created on first write rather than at start-up, so a cold start costs one read only.
                await _table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
                return await WriteAsync(entity, ifMatch, ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>Deletes every entry of one Table partition (all app tokens of one client).</summary>
    public Task<int> DeletePartitionAsync(string partitionKey, CancellationToken cancellationToken) =>
        RunAsync("delete", async ct =>
        {
            var deleted = 0;
            try
            {
                var rows = _table.QueryAsync<TableEntity>(e => e.PartitionKey == partitionKey, select: ["RowKey"], cancellationToken: ct);
                await foreach (var row in rows.ConfigureAwait(false))
                {
                    await _table.DeleteEntityAsync(partitionKey, row.RowKey, ETag.All, ct).ConfigureAwait(false);
                    deleted++;
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // No table, or already gone: nothing left to delete.
            }

            return deleted;
        }, cancellationToken, timeBoxed: false);

    /// <summary>Reads a small unsealed record the broker keeps beside the tokens (such as the discovered region).</summary>
    public Task<TableEntity?> ReadRecordAsync(string partitionKey, string rowKey, CancellationToken cancellationToken) =>
        RunAsync("read_record", async ct =>
        {
            try
            {
                var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: ct).ConfigureAwait(false);
                return response.HasValue ? response.Value : null;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>
    /// Reads a record the broker sealed with <see cref="WriteSealedRecordAsync"/>: its payload, or null
    /// when there is none or it does not open (written by anyone but the broker, or moved).
    /// </summary>
    public async Task<byte[]?> ReadSealedRecordAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var record = await ReadRecordAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
        return record?.GetBinary(PayloadProperty) is { } sealedPayload
            ? _cipher.TryOpen(sealedPayload, record.GetString(KeyIdProperty), new CacheEntryKey(partitionKey, rowKey))
            : null;
    }

    /// <summary>
    /// Writes a record whose content the broker acts on (discovery metadata, throttling): sealed like
    /// the tokens, because whoever can write the Table must not be able to steer the broker.
    /// </summary>
    public Task WriteSealedRecordAsync(string partitionKey, string rowKey, byte[] payload, DateTimeOffset expiresOn, CancellationToken cancellationToken) =>
        UpsertRecordAsync(new TableEntity(partitionKey, rowKey)
        {
            [PayloadProperty] = _cipher.Seal(payload, new CacheEntryKey(partitionKey, rowKey)),
            [KeyIdProperty] = _cipher.CurrentKeyId,
            [ExpiresOnProperty] = expiresOn,
        }, cancellationToken);

    /// <summary>Writes such a record, or merges its properties into an existing entity (last writer wins: it holds no tokens).</summary>
    public Task UpsertRecordAsync(TableEntity record, CancellationToken cancellationToken) =>
        RunAsync("write_record", async ct =>
        {
            try
            {
                await _table.UpsertEntityAsync(record, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
            {
                await _table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
                await _table.UpsertEntityAsync(record, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    private async Task<ETag?> WriteAsync(TableEntity entity, ETag? ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var response = ifMatch is { } etag
                ? await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false)
                : await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && ex.ErrorCode == "ResourceNotFound"))
        {
            // 412: changed since read; 409: created since we saw none; 404: deleted since read.
            return null;
        }
    }

    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool timeBoxed = true)
    {
        if (!_availability.ShouldTry)
        {
            _telemetry.TableOperation(operation, "skipped");
            throw new TokenCacheUnavailableException("The token cache table is backing off after a failure.");
        }

        using var activity = Diagnostics.TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.Table", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("tokenfunctions.operation", operation);
        using var timer = timeBoxed ? new CancellationTokenSource(_timeout, _time) : new CancellationTokenSource();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);

        try
        {
            var result = await call(timeout.Token).ConfigureAwait(false);
            _availability.ReportSuccess();
            _telemetry.TableOperation(operation, "success");
            return result;
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or IOException or TimeoutException or OperationCanceledException or AggregateException
            && !cancellationToken.IsCancellationRequested)
        {
            _availability.ReportFailure(operation, ex);
            _telemetry.TableOperation(operation, "failure");
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            throw new TokenCacheUnavailableException($"Token cache {operation} failed ({ex.GetType().Name}).", ex);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Token cache entry of {Bytes} bytes exceeds the {Limit}-byte limit of table {Table}; it is not stored")]
    private static partial void LogPayloadTooLarge(ILogger logger, string table, int bytes, int limit);
}
