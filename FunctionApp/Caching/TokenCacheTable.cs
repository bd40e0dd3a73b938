using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace TokenFunctions.Caching;

/// <summary>
/// The token entries of the Table: one sealed MSAL cache per row, read whole, written only over the
/// ETag it was read at, and deleted a client at a time. It knows nothing of MSAL;
/// <see cref="TableCacheBinding"/> connects the two. Failures surface as
/// <see cref="TokenCacheUnavailableException"/> (see <see cref="BrokerTable"/>).
/// </summary>
public sealed partial class TokenCacheTable(BrokerTable table, CacheEntryCipher cipher, ILogger<TokenCacheTable> logger)
{
    /// <summary>A binary property holds at most 64 KiB; one resource's tokens are a few KiB.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    private const string WriteIdProperty = "WriteId";
    private const string GenerationProperty = "Generation";

    public string TableName => table.Name;

    /// <summary>
    /// Reads and opens one entry, and with it, in the same query, the resource's throttle record and —
    /// with <paramref name="withRemovalRecord"/>, for a client's app tokens — the client's removal record.
    /// A missing entry or table is a miss (a null <see cref="TokenRowRead.Entry"/>), and an entry that
    /// cannot be read (another row's, another key's, altered, or of the wrong shape) is a miss with its ETag.
    /// </summary>
    public async Task<TokenRowRead> ReadAsync(CacheEntryKey key, bool withRemovalRecord, CancellationToken cancellationToken)
    {
        var throttleKey = key with { RowKey = CacheKeys.ThrottleRow(key.RowKey) };
        var removalKey = key with { RowKey = CacheKeys.RemovalRow };
        string[] rows = withRemovalRecord ? [key.RowKey, throttleKey.RowKey, removalKey.RowKey] : [key.RowKey, throttleKey.RowKey];
        var entities = await table.ReadRowsAsync("read", key.PartitionKey, rows, cancellationToken).ConfigureAwait(false);

        CacheEntry? entry = null;
        byte[]? throttle = null, removal = null;
        foreach (var entity in entities)
        {
            if (entity.RowKey == key.RowKey)
            {
                entry = new CacheEntry(
                    key, SealedEntity.TryOpen(cipher, entity, key), UntrustedEntity.Text(entity, WriteIdProperty), entity.ETag, UntrustedEntity.Number(entity, GenerationProperty) ?? 0);
            }
            else if (entity.RowKey == throttleKey.RowKey)
            {
                throttle = SealedEntity.TryOpen(cipher, entity, throttleKey);
            }
            else if (withRemovalRecord && entity.RowKey == removalKey.RowKey)
            {
                removal = SealedEntity.TryOpen(cipher, entity, removalKey);
            }
        }

        return new TokenRowRead(entry, throttle, removal);
    }

    /// <summary>
    /// Seals and writes an entry only if it still has the ETag it was read at (with no ETag: only if
    /// it does not exist yet). Returns the new ETag, or null when another writer got there first.
    /// </summary>
    public Task<ETag?> TryWriteAsync(
        CacheEntryKey key, byte[] payload, string writeId, long generation, DateTimeOffset? expiresOn, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var entity = SealedEntity.Create(cipher, key, payload, expiresOn);
        if (SealedEntity.SealedLength(entity) is var length and > MaxPayloadBytes)
        {
            // Never truncate a cache: an entry that cannot be stored whole is not stored at all.
            LogPayloadTooLarge(logger, table.Name, length, MaxPayloadBytes);
            throw new TokenCacheUnavailableException($"The cache entry of {length} bytes is over the Table's limit.");
        }

        entity[WriteIdProperty] = writeId;
        entity[GenerationProperty] = generation;
        return table.TryWriteAsync("write", entity, ifMatch, cancellationToken);
    }

    /// <summary>
    /// Deletes every entry of one Table partition (all app tokens of one client, and their throttle
    /// records) but the client's removal record, which must outlive what it removed.
    /// </summary>
    public Task<int> DeletePartitionAsync(string partitionKey, CancellationToken cancellationToken) =>
        table.DeleteWhereAsync(
            "delete", TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ne {CacheKeys.RemovalRow}"), int.MaxValue, ifUnchanged: false, cancellationToken);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Token cache entry of {Bytes} bytes exceeds the {Limit}-byte limit of table {Table}; it is not stored")]
    private static partial void LogPayloadTooLarge(ILogger logger, string table, int bytes, int limit);
}
