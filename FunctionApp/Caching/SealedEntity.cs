using Azure.Data.Tables;

namespace TokenFunctions.Caching;

/// <summary>
/// How a sealed payload sits in a Table entity, for tokens and records alike: the sealed bytes, the id
/// of the key that sealed them, and when the content expires (what the pre-warm sweep deletes by).
/// </summary>
public static class SealedEntity
{
    public const string PayloadProperty = "Payload";
    public const string KeyIdProperty = "KeyId";
    public const string ExpiresOnProperty = "ExpiresOn";

    public static TableEntity Create(CacheEntryCipher cipher, CacheEntryKey key, ReadOnlySpan<byte> payload, DateTimeOffset? expiresOn) =>
        new(key.PartitionKey, key.RowKey)
        {
            [PayloadProperty] = cipher.Seal(payload, key),
            [KeyIdProperty] = cipher.CurrentKeyId,
            [ExpiresOnProperty] = expiresOn,
        };

    /// <summary>
    /// The payload, or null when the entity holds none, holds something else under these names, or it
    /// does not open at <paramref name="key"/>: an entry that cannot be read is a miss, never an error.
    /// </summary>
    public static byte[]? TryOpen(CacheEntryCipher cipher, TableEntity entity, CacheEntryKey key) =>
        UntrustedEntity.Bytes(entity, PayloadProperty) is { } sealedPayload
            ? cipher.TryOpen(sealedPayload, UntrustedEntity.Text(entity, KeyIdProperty), key)
            : null;

    /// <summary>The size of the sealed payload in bytes.</summary>
    public static int SealedLength(TableEntity entity) => UntrustedEntity.Bytes(entity, PayloadProperty)?.Length ?? 0;
}
