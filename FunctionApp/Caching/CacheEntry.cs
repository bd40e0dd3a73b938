using Azure;

namespace TokenFunctions.Caching;

/// <summary>
/// One MSAL cache as read from the Table, opened. <see cref="Payload"/> is null when the entry
/// exists but cannot be opened (another row's entry, an unknown key, tampering, properties of the
/// wrong type): a miss whose <see cref="ETag"/> still lets the next write replace it.
/// <see cref="Generation"/> is the removal generation its writer acquired its tokens under (see
/// <see cref="ClientRemovals"/>).
/// </summary>
public sealed record CacheEntry(CacheEntryKey Key, byte[]? Payload, string? WriteId, ETag ETag, long Generation = 0);

/// <summary>Where one entry lives: a Table partition (one per client, or per user assertion) and a row in it.</summary>
public readonly record struct CacheEntryKey(string PartitionKey, string RowKey);
