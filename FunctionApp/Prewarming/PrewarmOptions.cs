using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Prewarming;

/// <summary><c>Prewarm__...</c>: which tokens the timer keeps fresh, and how.</summary>
public sealed class PrewarmOptions
{
    public const string SectionName = "Prewarm";

    /// <summary>The timer's NCRONTAB schedule (six fields, UTC). The binding reads it as <c>%Prewarm:Schedule%</c>.</summary>
    public string? Schedule { get; set; }

    public List<PrewarmTarget> Targets { get; set; } = [];

    /// <summary>A token with less life left than this is refreshed (never more often than half its lifetime).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "12:00:00")]
    public TimeSpan RefreshBefore { get; set; } = TimeSpan.FromMinutes(15);

    [Range(1, 64)]
    public int MaxParallelism { get; set; } = 4;

    /// <summary>How long one run may take, well inside the timer's interval.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan RunBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many expired entries are deleted per run (the rest wait for the next run).</summary>
    [Range(0, 100_000)]
    public int MaxSweptPerRun { get; set; } = 1000;
}

/// <summary><c>Prewarm__Targets__{i}__Client</c> and <c>__Scopes__{j}</c>.</summary>
public sealed class PrewarmTarget
{
    public string Client { get; set; } = "";

    public List<string> Scopes { get; set; } = [];
}
