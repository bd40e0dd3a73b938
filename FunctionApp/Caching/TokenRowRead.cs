namespace TokenFunctions.Caching;

/// <summary>
/// What one read of a token row brings back beside the row (see <see cref="TokenCacheTable.ReadAsync"/>):
/// the opened payloads of the resource's throttle record and of the client's removal record, null when
/// absent or not the broker's. They cost nothing extra: one query of the row's partition reads all three.
/// </summary>
public sealed record TokenRowRead(CacheEntry? Entry, byte[]? ThrottleRecord, byte[]? RemovalRecord);
