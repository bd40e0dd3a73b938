using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace TokenFunctions.Caching;

/// <summary>
/// Deletes entries (app and on-behalf-of tokens, sealed records) whose <c>ExpiresOn</c> has passed, at
/// most a set number per run. Each delete is conditional on the ETag it was found with, so an entry
/// another instance has just rewritten is left alone. Through <see cref="BrokerTable"/>, so a Table
/// that is backing off is not swept.
/// </summary>
public sealed partial class ExpiredEntrySweeper(BrokerTable table, TimeProvider time, ILogger<ExpiredEntrySweeper> logger)
{
    /// <summary>How many entries were deleted; throws <see cref="TokenCacheUnavailableException"/> when the Table fails.</summary>
    public async Task<int> SweepAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return 0;
        }

        // The property name is part of the filter's text: an interpolated hole would be quoted as a value.
        var filter = TableClient.CreateQueryFilter($"ExpiresOn lt {time.GetUtcNow()}");
        var swept = await table.DeleteWhereAsync("sweep", filter, limit, ifUnchanged: true, cancellationToken).ConfigureAwait(false);
        LogSwept(logger, swept, table.Name);
        return swept;
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Swept {Count} expired entries from table {Table}")]
    private static partial void LogSwept(ILogger logger, int count, string table);
}
