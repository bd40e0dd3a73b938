using System.Collections.Concurrent;
using System.Globalization;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>How one operation of a failure scenario ended: a token, an error, or cut off by the measurement's bound.</summary>
internal enum OutcomeKind
{
    Token,
    Error,
    Bounded,
}

/// <summary>
/// One operation of a failure scenario: how it ended, how long it took (a stopwatch around the
/// awaited call), and where its token requests went (counted by the fake Entra ID, by host).
/// </summary>
internal sealed record Outcome(OutcomeKind Kind, string Detail, double Milliseconds, int RegionalTokenCalls, int GlobalTokenCalls)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Kind} ({Detail}) in {Milliseconds:0} ms, {RegionalTokenCalls} regional + {GlobalTokenCalls} global token requests");
}

/// <summary>
/// The outcomes of every operation, by benchmark, next to <see cref="OperationLog"/>'s counts and in
/// the same folder (so cleared with them): BenchmarkDotNet runs a benchmark in a process of its own,
/// and the tables and smoke checks read them in the host process.
/// </summary>
internal static class OutcomeLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<Outcome>> Recorded = new();

    public static void Record(string key, Outcome outcome) =>
        Recorded.GetOrAdd(key, _ => new ConcurrentQueue<Outcome>()).Enqueue(outcome);

    /// <summary>Writes what this process recorded; called from the benchmark class's global cleanup.</summary>
    public static void Flush()
    {
        Directory.CreateDirectory(OperationLog.Folder);
        foreach (var (key, outcomes) in Recorded)
        {
            File.WriteAllLines(
                PathOf(key),
                outcomes.Select(o => string.Create(CultureInfo.InvariantCulture,
                    $"{o.Kind}\t{o.Milliseconds:0.###}\t{o.RegionalTokenCalls}\t{o.GlobalTokenCalls}\t{o.Detail.ReplaceLineEndings(" ").Replace('\t', ' ')}")));
        }
    }

    public static IReadOnlyList<Outcome> Read(string key)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return [];
        }

        return File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(line => line.Split('\t'))
            .Select(f => new Outcome(
                Enum.Parse<OutcomeKind>(f[0]),
                f[4],
                double.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                int.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static string PathOf(string key) => Path.Combine(OperationLog.Folder, key + ".outcomes.txt");
}
