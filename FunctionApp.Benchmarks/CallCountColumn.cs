using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using TokenFunctions.Benchmarks.Rig;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// Calls per operation, from the counts the cold-start and herd benchmarks record for every
/// iteration (warm-up iterations included: each is one full operation). One value when every
/// operation made the same number of calls, else the mean and the range. Blank for the warm hits,
/// which record nothing (the smoke run checks that they make no calls at all).
/// </summary>
internal sealed class CallCountColumn(string name, Func<OperationCounts, int> select, string legend) : IColumn
{
    public static readonly IColumn EntraTokenCalls = new CallCountColumn("Entra token calls/op", c => c.EntraTokenCalls, "Token requests the fake Entra ID received per operation");
    public static readonly IColumn EntraOtherCalls = new CallCountColumn("Entra other calls/op", c => c.EntraOtherCalls, "Other requests the fake Entra ID received per operation (instance discovery: MSAL's first call in a process)");
    public static readonly IColumn TableReads = new CallCountColumn("Table reads/op", c => c.TableReads, "Table GET requests per operation");
    public static readonly IColumn TableWrites = new CallCountColumn("Table writes/op", c => c.TableWrites, "Table requests other than GET per operation (insert, upsert, replace, create table)");

    public string Id => nameof(CallCountColumn) + "." + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => Format(benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => Format(benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public override string ToString() => ColumnName;

    private string Format(BenchmarkCase benchmarkCase)
    {
        var counts = OperationLog.Read(OperationLog.Key(benchmarkCase.Descriptor.Type, benchmarkCase.Descriptor.WorkloadMethod.Name));
        if (counts.Count == 0)
        {
            return "-";
        }

        var values = counts.Select(select).ToList();
        var (min, max) = (values.Min(), values.Max());
        return min == max
            ? min.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{values.Average():0.#} ({min}–{max})");
    }
}
