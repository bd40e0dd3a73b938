using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Caching;
using TokenFunctions.Telemetry;
using TokenFunctions.Tokens;

namespace TokenFunctions.Prewarming;

/// <summary>
/// One pre-warm run: every target's token is made fresh (only the due ones reach Entra), with
/// bounded parallelism and a run budget, one target's failure never stopping the others; then
/// expired entries are swept. The run ends with one summary line.
/// </summary>
public sealed partial class TokenPrewarmer
{
    private readonly ConfidentialClients _clients;
    private readonly PrewarmOptions _options;
    private readonly ExpiredEntrySweeper _sweeper;
    private readonly TokenTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public TokenPrewarmer(
        ConfidentialClients clients, IOptions<PrewarmOptions> options, ExpiredEntrySweeper sweeper, TokenTelemetry telemetry, TimeProvider time, ILogger<TokenPrewarmer> logger)
    {
        _telemetry = telemetry;
        _clients = clients;
        _options = options.Value;
        _sweeper = sweeper;
        _time = time;
        _logger = logger;
    }

    public async Task<PrewarmSummary> RunAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var budgetTimer = new CancellationTokenSource(_options.RunBudget, _time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budgetTimer.Token);
        var outcomes = new PrewarmState[_options.Targets.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, _options.Targets.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = CancellationToken.None },
            async (i, _) => outcomes[i] = await WarmAsync(_options.Targets[i], budget.Token).ConfigureAwait(false)).ConfigureAwait(false);

        var swept = 0;
        try
        {
            swept = await _sweeper.SweepAsync(_options.MaxSweptPerRun, budget.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TokenCacheUnavailableException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogSweepFailed(_logger, (ex.InnerException ?? ex).GetType().Name);
        }

        var summary = new PrewarmSummary(
            outcomes.Count(o => o == PrewarmState.Refreshed),
            outcomes.Count(o => o == PrewarmState.Fresh),
            outcomes.Count(o => o == PrewarmState.Failed),
            swept,
            _time.GetElapsedTime(started));
        _telemetry.PrewarmRun(summary.Refreshed, summary.Fresh, summary.Failed);
        LogSummary(_logger, summary.Refreshed, summary.Fresh, summary.Failed, summary.Swept, summary.Duration.TotalMilliseconds);
        return summary;
    }

    private async Task<PrewarmState> WarmAsync(PrewarmTarget target, CancellationToken budget)
    {
        if (!_clients.TryGet(target.Client, out var client))
        {
            return PrewarmState.Failed; // Validated at start-up; kept total for safety.
        }

        try
        {
            var outcome = await client.PrewarmAsync(target.Scopes, _options.RefreshBefore, budget).ConfigureAwait(false);
            if (outcome.State == PrewarmState.Failed)
            {
                LogTargetFailed(_logger, target.Client, ScopeSet.Resource(target.Scopes[0]), outcome.Error?.Error ?? "unknown");
            }

            return outcome.State;
        }
        catch (OperationCanceledException)
        {
            LogTargetFailed(_logger, target.Client, ScopeSet.Resource(target.Scopes[0]), "run budget exhausted");
            return PrewarmState.Failed;
        }
#pragma warning disable CA1031 // One target's unexpected failure must never stop the others; it is logged by type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogTargetFailed(_logger, target.Client, ScopeSet.Resource(target.Scopes[0]), ex.GetType().Name);
            return PrewarmState.Failed;
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information,
        Message = "Pre-warm run: {Refreshed} refreshed, {Fresh} already fresh, {Failed} failed, {Swept} expired entries swept, in {DurationMs} ms")]
    private static partial void LogSummary(ILogger logger, int refreshed, int fresh, int failed, int swept, double durationMs);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning,
        Message = "Pre-warm of client {Client} for {Resource} failed: {Error}")]
    private static partial void LogTargetFailed(ILogger logger, string client, string resource, string error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Sweeping expired cache entries failed ({Failure}); the next run tries again")]
    private static partial void LogSweepFailed(ILogger logger, string failure);
}

/// <summary>What one pre-warm run did.</summary>
public sealed record PrewarmSummary(int Refreshed, int Fresh, int Failed, int Swept, TimeSpan Duration);
