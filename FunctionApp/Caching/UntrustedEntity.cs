using Azure.Data.Tables;

namespace TokenFunctions.Caching;

/// <summary>
/// Reads of an entity that anyone with access to the Table may have written, under the broker's
/// property names but with any type. A property of the wrong type reads as absent, so such an entity
/// is unreadable — a miss that the next write replaces — rather than an exception on every read, on
/// every instance (<see cref="TableEntity"/>'s typed getters throw on a type mismatch).
/// </summary>
public static class UntrustedEntity
{
    public static byte[]? Bytes(TableEntity entity, string property) =>
        entity.TryGetValue(property, out var value) ? value switch { byte[] bytes => bytes, BinaryData data => data.ToArray(), _ => null } : null;

    public static string? Text(TableEntity entity, string property) =>
        entity.TryGetValue(property, out var value) ? value as string : null;

    public static long? Number(TableEntity entity, string property) =>
        entity.TryGetValue(property, out var value) ? value switch { long number => number, int number => number, _ => null } : null;

    public static DateTimeOffset? Time(TableEntity entity, string property) =>
        entity.TryGetValue(property, out var value)
            ? value switch { DateTimeOffset time => time, DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)), _ => null }
            : null;
}
