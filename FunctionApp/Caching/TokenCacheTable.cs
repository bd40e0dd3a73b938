using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

/// <summary>
/// The Table half of the token cache: point reads, conditional writes, partition deletes.
/// It knows nothing of MSAL; <see cref="TableCacheBinding"/> connects the two.
/// </summary>
internal sealed partial class TokenCacheTable(
    TableServiceClient service,
    IOptions<TokenCacheOptions> options,
    ILogger<TokenCacheTable> logger)
{
    /// <summary>A binary property holds at most 64 KiB; one resource's tokens are a few KiB.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    private const string PayloadProperty = "Payload";
    private const string WriteIdProperty = "WriteId";
    private const string ExpiresOnProperty = "ExpiresOn";

    private readonly TableClient _table = service.GetTableClient(options.Value.TableName);

    public string TableName => _table.Name;

    /// <summary>Reads one entry; a missing entry or a missing table is a miss, not an error.</summary>
    public async Task<CacheEntry?> ReadAsync(CacheEntryKey key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(
                key.PartitionKey, key.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!response.HasValue || response.Value is not { } entity)
            {
                return null;
            }

            var payload = entity.GetBinary(PayloadProperty);
            return payload is null ? null : new CacheEntry(key, payload, entity.GetString(WriteIdProperty), entity.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes an entry only if it still has the ETag it was read at (or, with no ETag, only if it
    /// does not exist yet). Returns the new ETag, or null when another writer got there first.
    /// </summary>
    public async Task<ETag?> TryWriteAsync(
        CacheEntryKey key,
        ReadOnlyMemory<byte> payload,
        string writeId,
        DateTimeOffset? expiresOn,
        ETag? ifMatch,
        CancellationToken cancellationToken)
    {
        if (payload.Length > MaxPayloadBytes)
        {
            // Never truncate a cache: an entry that cannot be stored whole is not stored at all.
            LogPayloadTooLarge(logger, _table.Name, payload.Length, MaxPayloadBytes);
            return null;
        }

        var entity = new TableEntity(key.PartitionKey, key.RowKey)
        {
            [PayloadProperty] = payload.ToArray(),
            [WriteIdProperty] = writeId,
            [ExpiresOnProperty] = expiresOn,
        };

        try
        {
            return await WriteAsync(entity, ifMatch, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
        {
            // Created on first write rather than at start-up, so a cold start costs one read only.
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            return await WriteAsync(entity, ifMatch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes every entry of one Table partition (all app tokens of one client).</summary>
    public async Task<int> DeletePartitionAsync(string partitionKey, CancellationToken cancellationToken)
    {
        var deleted = 0;
        try
        {
            var rows = _table.QueryAsync<TableEntity>(
                e => e.PartitionKey == partitionKey, select: ["RowKey"], cancellationToken: cancellationToken);
            await foreach (var row in rows.ConfigureAwait(false))
            {
                await _table.DeleteEntityAsync(partitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No table or already gone: nothing left to delete.
        }

        return deleted;
    }

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

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Token cache entry of {Bytes} bytes exceeds the {Limit}-byte limit of table {Table}; it is not stored")]
    private static partial void LogPayloadTooLarge(ILogger logger, string table, int bytes, int limit);
}
