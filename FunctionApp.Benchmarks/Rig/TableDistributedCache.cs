using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Distributed;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// The baseline's L2: an <see cref="IDistributedCache"/> over one Azure Table, written for the
/// benchmarks only. One entity per key; <c>Get</c> is one point read, <c>Set</c> one upsert,
/// <c>Remove</c> one delete; the value is a binary property. Nothing is kept in memory: every call
/// that has to reach the Table does.
/// </summary>
/// <remarks>
/// Sliding expiration is the one choice. With <paramref name="supportsSlidingExpiration"/> off,
/// <c>Set</c> refuses a sliding expiration, so no entry has one and <c>Refresh</c> has nothing to
/// reset: it returns without I/O (Microsoft.Identity.Web's default options set none). With it on,
/// <c>Refresh</c> does what the Redis and SQL Server caches do, one round trip per call: a point
/// read of the entry's expiry, and a merge when it slides.
/// </remarks>
internal sealed class TableDistributedCache(TableClient table, TimeProvider time, bool supportsSlidingExpiration) : IDistributedCache
{
    private const string RowKey = "v";
    private const string ValueProperty = "Value";
    private const string ExpiresAtProperty = "ExpiresAt";
    private const string AbsoluteExpiresAtProperty = "AbsoluteExpiresAt";
    private const string SlidingTicksProperty = "SlidingTicks";

    private static readonly string[] ExpiryProperties = [ExpiresAtProperty, AbsoluteExpiresAtProperty, SlidingTicksProperty];

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        NullableResponse<TableEntity> response;
        try
        {
            response = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(key), RowKey, cancellationToken: token).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null; // No table yet.
        }

        if (!response.HasValue || response.Value is not { } entity || IsExpired(entity))
        {
            return null;
        }

        if (entity.GetInt64(SlidingTicksProperty) is { } slidingTicks)
        {
            await SlideAsync(entity, TimeSpan.FromTicks(slidingTicks), token).ConfigureAwait(false);
        }

        return entity.GetBinary(ValueProperty);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SlidingExpiration is not null && !supportsSlidingExpiration)
        {
            throw new NotSupportedException("This cache was created without sliding expiration support.");
        }

        var now = time.GetUtcNow();
        DateTimeOffset? absolute = options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
        DateTimeOffset? expiresAt = options.SlidingExpiration is { } sliding
            ? Earliest(now + sliding, absolute)
            : absolute;

        var entity = new TableEntity(PartitionKey(key), RowKey)
        {
            [ValueProperty] = value,
            [ExpiresAtProperty] = expiresAt,
            [AbsoluteExpiresAtProperty] = absolute,
            [SlidingTicksProperty] = options.SlidingExpiration?.Ticks,
        };
        try
        {
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, token).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
        {
            // Created on first write, as the core does.
            await table.CreateIfNotExistsAsync(token).ConfigureAwait(false);
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, token).ConfigureAwait(false);
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        if (!supportsSlidingExpiration)
        {
            return;
        }

        NullableResponse<TableEntity> response;
        try
        {
            response = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(key), RowKey, ExpiryProperties, token).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return;
        }

        if (response.HasValue && response.Value is { } entity && !IsExpired(entity) && entity.GetInt64(SlidingTicksProperty) is { } slidingTicks)
        {
            await SlideAsync(entity, TimeSpan.FromTicks(slidingTicks), token).ConfigureAwait(false);
        }
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        try
        {
            await table.DeleteEntityAsync(PartitionKey(key), RowKey, ETag.All, token).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already gone.
        }
    }

    private async Task SlideAsync(TableEntity entity, TimeSpan sliding, CancellationToken token)
    {
        var update = new TableEntity(entity.PartitionKey, entity.RowKey)
        {
            [ExpiresAtProperty] = Earliest(time.GetUtcNow() + sliding, entity.GetDateTimeOffset(AbsoluteExpiresAtProperty)),
        };
        try
        {
            await table.UpdateEntityAsync(update, entity.ETag, TableUpdateMode.Merge, token).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Removed or rewritten meanwhile: the newer write has its own expiry.
        }
    }

    private bool IsExpired(TableEntity entity) =>
        entity.GetDateTimeOffset(ExpiresAtProperty) is { } expiresAt && expiresAt <= time.GetUtcNow();

    private static DateTimeOffset Earliest(DateTimeOffset a, DateTimeOffset? b) => b is { } other && other < a ? other : a;

    /// <summary>The key itself where Tables accept it; a hash where it has characters Tables reject or is too long.</summary>
    private static string PartitionKey(string key)
    {
        var acceptable = key.Length is > 0 and <= 255 && !key.AsSpan().ContainsAny("/\\#?") && !key.Any(char.IsControl);
        return acceptable ? key : "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
