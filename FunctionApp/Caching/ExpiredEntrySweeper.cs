using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

/// <summary>
/// Deletes cache entries (app and on-behalf-of tokens, throttle records) whose <c>ExpiresOn</c> has
/// passed, a page at a time and at most a set number per run. Each delete is conditional on the ETag
/// it was found with, so an entry another instance has just rewritten is left alone.
/// </summary>
internal sealed partial class ExpiredEntrySweeper(
    TableServiceClient service, IOptions<TokenCacheOptions> options, TimeProvider time, ILogger<ExpiredEntrySweeper> logger)
{
    private const int PageSize = 100;
    private readonly TableClient _table = service.GetTableClient(options.Value.TableName);

    public async Task<int> SweepAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var swept = 0;
        try
        {
            var expired = _table.QueryAsync<TableEntity>(
                TableClient.CreateQueryFilter($"ExpiresOn lt {now}"), maxPerPage: PageSize, select: ["PartitionKey", "RowKey", "ExpiresOn"], cancellationToken: cancellationToken);
            await foreach (var entity in expired.ConfigureAwait(false))
            {
                try
                {
                    await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, cancellationToken).ConfigureAwait(false);
                    swept++;
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    // Gone already, or rewritten since it was found: not ours to delete.
                }

                if (swept >= limit)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No table yet: nothing to sweep.
        }

        LogSwept(logger, swept, _table.Name);
        return swept;
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Swept {Count} expired entries from table {Table}")]
    private static partial void LogSwept(ILogger logger, int count, string table);
}
