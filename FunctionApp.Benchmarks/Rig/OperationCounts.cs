using System.Collections.Concurrent;
using System.Globalization;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// What one benchmark operation cost in calls: Entra token requests, other Entra requests
/// (instance discovery, OpenID metadata), Table reads, Table writes.
/// </summary>
internal readonly record struct OperationCounts(int EntraTokenCalls, int EntraOtherCalls, int TableReads, int TableWrites)
{
    public int EntraCalls => EntraTokenCalls + EntraOtherCalls;

    public static OperationCounts operator -(OperationCounts after, OperationCounts before) => new(
        after.EntraTokenCalls - before.EntraTokenCalls,
        after.EntraOtherCalls - before.EntraOtherCalls,
        after.TableReads - before.TableReads,
        after.TableWrites - before.TableWrites);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{EntraTokenCalls} Entra token + {EntraOtherCalls} other Entra, {TableReads} Table reads, {TableWrites} Table writes");
}

/// <summary>
/// The counts of every operation of the scenarios that count (cold start, herd), by benchmark.
/// BenchmarkDotNet runs a benchmark in a process of its own, so the counts travel to the host
/// process (columns, smoke checks) as small files under the artifacts folder.
/// </summary>
internal static class OperationLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<OperationCounts>> Recorded = new();

    public static string ArtifactsPath => Path.Combine(RepositoryRoot.FullPath, "BenchmarkDotNet.Artifacts");

    internal static string Folder => Path.Combine(ArtifactsPath, "counts");

    public static string Key(Type benchmarks, string method) => $"{benchmarks.Name}.{method}";

    public static void Record(string key, OperationCounts counts) =>
        Recorded.GetOrAdd(key, _ => new ConcurrentQueue<OperationCounts>()).Enqueue(counts);

    /// <summary>Writes what this process recorded; called from each benchmark class's global cleanup.</summary>
    public static void Flush()
    {
        Directory.CreateDirectory(Folder);
        foreach (var (key, counts) in Recorded)
        {
            File.WriteAllLines(
                Path.Combine(Folder, key + ".txt"),
                counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.EntraTokenCalls} {c.EntraOtherCalls} {c.TableReads} {c.TableWrites}")));
        }
    }

    /// <summary>Forgets the counts of an earlier run, before a new one starts.</summary>
    public static void Clear()
    {
        Recorded.Clear();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    public static IReadOnlyList<OperationCounts> Read(string key)
    {
        var path = Path.Combine(Folder, key + ".txt");
        if (!File.Exists(path))
        {
            return [];
        }

        return File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' ').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray())
            .Select(n => new OperationCounts(n[0], n[1], n[2], n[3]))
            .ToList();
    }
}
