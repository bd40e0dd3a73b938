using Azure;

namespace TokenFunctions.Caching;

/// <summary>One serialized MSAL cache partition as stored in the Table, with the ETag it was read at.</summary>
internal sealed record CacheEntry(CacheEntryKey Key, ReadOnlyMemory<byte> Payload, string? WriteId, ETag ETag);

/// <summary>Where one cache partition lives: a Table partition per client, a row per partition of it.</summary>
internal readonly record struct CacheEntryKey(string PartitionKey, string RowKey);
