using Azure.Data.Tables;

namespace TokenFunctions.Caching;

/// <summary>
/// The small records the broker keeps in its Table beside the tokens, so that what one instance
/// learnt (the region, Entra's discovery metadata, a throttle) saves every other instance the work.
/// A record whose content steers the broker is sealed like a token — whoever can write the Table must
/// not be able to redirect MSAL's credentials or silence the broker; only the region record is not
/// (<see cref="ReadRegionAsync"/> says why). Failures surface as <see cref="TokenCacheUnavailableException"/>.
/// </summary>
public sealed class BrokerRecords(BrokerTable table, CacheEntryCipher cipher)
{
    /// <summary>The partition of the records that belong to the whole broker rather than to one client.</summary>
    public const string Partition = "broker";

    private const string RegionRow = "region";
    private const string HealthRow = "health";

    /// <summary>A sealed record's payload, or null when there is none or it does not open (not the broker's, or moved).</summary>
    public async Task<byte[]?> ReadSealedAsync(CacheEntryKey key, CancellationToken cancellationToken)
    {
        var entity = await table.ReadAsync("read_record", key.PartitionKey, key.RowKey, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : SealedEntity.TryOpen(cipher, entity, key);
    }

    /// <summary>A sealed record's payload (null as above) and the ETag to write over it with (null: there is none).</summary>
    public async Task<(byte[]? Payload, Azure.ETag? ETag)> ReadSealedForUpdateAsync(CacheEntryKey key, CancellationToken cancellationToken)
    {
        var entity = await table.ReadAsync("read_record", key.PartitionKey, key.RowKey, cancellationToken).ConfigureAwait(false);
        return entity is null ? (null, null) : (SealedEntity.TryOpen(cipher, entity, key), entity.ETag);
    }

    /// <summary>
    /// Seals and writes a record only if it is still as read (<paramref name="ifMatch"/>; null: only if
    /// there is none yet). False when another writer got there first.
    /// </summary>
    public async Task<bool> TryWriteSealedAsync(CacheEntryKey key, byte[] payload, Azure.ETag? ifMatch, CancellationToken cancellationToken) =>
        await table.TryWriteAsync("write_record", SealedEntity.Create(cipher, key, payload, expiresOn: null), ifMatch, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Seals and writes a record (last writer wins: a record holds no tokens).</summary>
    /// <param name="expiresOn">When the sweep may delete it; null: never.</param>
    public Task WriteSealedAsync(CacheEntryKey key, byte[] payload, DateTimeOffset? expiresOn, CancellationToken cancellationToken) =>
        table.UpsertAsync("write_record", SealedEntity.Create(cipher, key, payload, expiresOn), cancellationToken);

    /// <summary>A record of the broker partition.</summary>
    public static CacheEntryKey BrokerRecord(string row) => new(Partition, row);

    /// <summary>
    /// The region an earlier instance discovered and until when it holds. Not sealed: the name is
    /// validated before use (only <c>{region}.login.microsoft.com</c> can come of it) and is no secret,
    /// so an operator can read or correct it with any Table tool. A record of the wrong shape is none.
    /// </summary>
    public async Task<(string Region, DateTimeOffset ValidUntil)?> ReadRegionAsync(CancellationToken cancellationToken)
    {
        var entity = await table.ReadAsync("read_record", Partition, RegionRow, cancellationToken).ConfigureAwait(false);
        return entity is not null && UntrustedEntity.Text(entity, "Region") is { } region && UntrustedEntity.Time(entity, "ValidUntil") is { } validUntil
            ? (region, validUntil)
            : null;
    }

    /// <summary>Persists a discovered region ("" for none) for the next instances.</summary>
    public Task WriteRegionAsync(string region, DateTimeOffset validUntil, CancellationToken cancellationToken) =>
        table.UpsertAsync("write_record", new TableEntity(Partition, RegionRow) { ["Region"] = region, ["ValidUntil"] = validUntil }, cancellationToken);

    /// <summary>One cheap read that tells whether the Table answers (for health); nothing is written.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken) =>
        await table.ReadAsync("read_record", Partition, HealthRow, cancellationToken).ConfigureAwait(false);
}
