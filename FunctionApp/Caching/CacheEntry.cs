using Azure;

namespace TokenFunctions.Caching;

/// <summary>
/// One MSAL cache partition as read from the Table, opened. <see cref="Payload"/> is null when the
/// entry exists but cannot be opened (another row's entry, an unknown key, tampering): a miss whose
/// <see cref="ETag"/> still lets the next write replace it.
/// </summary>
internal sealed record CacheEntry(CacheEntryKey Key, byte[]? Payload, string? WriteId, ETag ETag);

/// <summary>Where one cache partition lives: a Table partition per client, a row per partition of it.</summary>
internal readonly record struct CacheEntryKey(string PartitionKey, string RowKey);
