using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Caching;

/// <summary>
/// The broker's one Table, and the only way to it. Every call is time-boxed, counted, traced and
/// reported to <see cref="TableAvailability"/>, so that a slow or absent Table costs a request a
/// bounded wait once and then nothing while it backs off. The table is created on first write, not at
/// start-up, so a cold start costs one read. Every failure but the caller's own cancellation surfaces as
/// <see cref="TokenCacheUnavailableException"/>: "no Table this time", never an error to a caller.
/// What the rows mean is <see cref="TokenCacheTable"/>'s and <see cref="BrokerRecords"/>' business.
/// </summary>
public sealed class BrokerTable
{
    private readonly TableClient _table;
    private readonly TableAvailability _availability;
    private readonly TimeSpan _timeout;
    private readonly TokenTelemetry _telemetry;
    private readonly TimeProvider _time;

    public BrokerTable(
        TableServiceClient service, TableAvailability availability, IOptions<TokenCacheOptions> options, TokenTelemetry telemetry, TimeProvider time)
    {
        _table = service.GetTableClient(options.Value.TableName);
        _availability = availability;
        _timeout = options.Value.OperationTimeout;
        _telemetry = telemetry;
        _time = time;
    }

    public string Name => _table.Name;

    /// <summary>One point read; null when the entity or the table does not exist.</summary>
    public Task<TableEntity?> ReadAsync(string operation, string partitionKey, string rowKey, CancellationToken cancellationToken) =>
        RunAsync(operation, timeBoxed: true, async ct =>
        {
            try
            {
                var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: ct).ConfigureAwait(false);
                return response.HasValue ? response.Value : null;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>
    /// The entities of one partition among <paramref name="rowKeys"/>, in one query (one round trip where
    /// point reads would take one each); none when the table does not exist.
    /// </summary>
    public Task<List<TableEntity>> ReadRowsAsync(string operation, string partitionKey, IReadOnlyList<string> rowKeys, CancellationToken cancellationToken) =>
        RunAsync(operation, timeBoxed: true, async ct =>
        {
            var found = new List<TableEntity>(rowKeys.Count);
            TableQueryWarmup.Begin();
            try
            {
                await foreach (var entity in _table.QueryAsync<TableEntity>(RowsFilter(partitionKey, rowKeys), cancellationToken: ct).ConfigureAwait(false))
                {
                    found.Add(entity);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // No table yet: nothing there.
            }

            return found;
        }, cancellationToken);

    /// <summary>
    /// Writes <paramref name="entity"/> only if it still has the ETag it was read at (with none: only if
    /// it does not exist yet). The new ETag, or null when another writer got there first.
    /// </summary>
    public Task<ETag?> TryWriteAsync(string operation, TableEntity entity, ETag? ifMatch, CancellationToken cancellationToken) =>
        WriteAsync(operation, async ct =>
        {
            try
            {
                var response = ifMatch is { } etag
                    ? await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, ct).ConfigureAwait(false)
                    : await _table.AddEntityAsync(entity, ct).ConfigureAwait(false);
                return response.Headers.ETag;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && ex.ErrorCode == "ResourceNotFound"))
            {
                // 412: changed since read; 409: created since we saw none; 404: deleted since read.
                return (ETag?)null;
            }
        }, cancellationToken);

    /// <summary>Writes <paramref name="entity"/>, merging into what is there: last writer wins.</summary>
    public Task UpsertAsync(string operation, TableEntity entity, CancellationToken cancellationToken) =>
        WriteAsync(operation, async ct =>
        {
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> entities matching <paramref name="filter"/>, a page at a
    /// time. With <paramref name="ifUnchanged"/> each delete is conditional on the ETag it was found
    /// with, so an entity another instance has just rewritten is left alone. Bounded by the caller's
    /// cancellation, not by the per-call timeout: it may take many calls.
    /// </summary>
    public Task<int> DeleteWhereAsync(string operation, string filter, int limit, bool ifUnchanged, CancellationToken cancellationToken) =>
        RunAsync(operation, timeBoxed: false, async ct =>
        {
            var deleted = 0;
            try
            {
                var found = _table.QueryAsync<TableEntity>(filter, maxPerPage: 100, select: ["PartitionKey", "RowKey"], cancellationToken: ct);
                await foreach (var entity in found.ConfigureAwait(false))
                {
                    try
                    {
                        await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ifUnchanged ? entity.ETag : ETag.All, ct).ConfigureAwait(false);
                        if (++deleted >= limit)
                        {
                            break;
                        }
                    }
                    catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                    {
                        // Gone already, or rewritten since it was found: not this call's to delete.
                    }
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // No table yet: nothing to delete.
            }

            return deleted;
        }, cancellationToken);

    // PartitionKey eq 'p' and (RowKey eq 'a' or RowKey eq 'b'), each key an OData string literal. Not
    // TableClient.CreateQueryFilter: it formats through XmlConvert, and loading System.Private.Xml for
    // the first read of every new instance is a cold-start cost for nothing (so is a $top: the SDK
    // formats its number the same way, and the filter matches three rows at most anyway). Written
    // straight into the string: a StringBuilder's chunks and a string per literal were three times its size.
    private const string PartitionClause = "PartitionKey eq ";
    private const string FirstRowClause = " and (RowKey eq ";
    private const string NextRowClause = " or RowKey eq ";

    private static string RowsFilter(string partitionKey, IReadOnlyList<string> rowKeys)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rowKeys.Count);
        var length = PartitionClause.Length + LiteralLength(partitionKey) + FirstRowClause.Length - NextRowClause.Length + 1;
        foreach (var rowKey in rowKeys)
        {
            length += NextRowClause.Length + LiteralLength(rowKey);
        }

        return string.Create(length, (partitionKey, rowKeys), static (filter, keys) =>
        {
            Write(ref filter, PartitionClause);
            WriteLiteral(ref filter, keys.partitionKey);
            for (var i = 0; i < keys.rowKeys.Count; i++)
            {
                Write(ref filter, i == 0 ? FirstRowClause : NextRowClause);
                WriteLiteral(ref filter, keys.rowKeys[i]);
            }

            Write(ref filter, ")");
        });

        static int LiteralLength(string value) => value.Length + 2 + value.AsSpan().Count('\'');

        static void WriteLiteral(ref Span<char> filter, string value)
        {
            var at = 0;
            filter[at++] = '\'';
            foreach (var c in value)
            {
                filter[at++] = c;
                if (c == '\'')
                {
                    filter[at++] = c;
                }
            }

            filter[at++] = '\'';
            filter = filter[at..];
        }

        static void Write(ref Span<char> filter, ReadOnlySpan<char> text)
        {
            text.CopyTo(filter);
            filter = filter[text.Length..];
        }
    }

    private Task<T> WriteAsync<T>(string operation, Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        RunAsync(operation, timeBoxed: true, async ct =>
        {
            try
            {
                return await write(ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
            {
                await _table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
                return await write(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    private async Task<T> RunAsync<T>(string operation, bool timeBoxed, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        if (!_availability.ShouldTry)
        {
            _telemetry.TableOperation(operation, "skipped");
            throw new TokenCacheUnavailableException("The token cache table is backing off after a failure.");
        }

        using var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.Table", ActivityKind.Client);
        activity?.SetTag("tokenfunctions.operation", operation);

        // The time box, cancelled by the caller's token too: one source and one registration, where a
        // linked source would be a second source with a registration on each.
        using var timeBox = timeBoxed ? new CancellationTokenSource(_timeout, _time) : null;
        using var callerCancels = timeBox is null
            ? default
            : cancellationToken.UnsafeRegister(static box => ((CancellationTokenSource)box!).Cancel(), timeBox);
        try
        {
            var result = await call(timeBox?.Token ?? cancellationToken).ConfigureAwait(false);
            _availability.ReportSuccess();
            _telemetry.TableOperation(operation, "success");
            return result;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever stops a call — the service, the network, the time box, or the broker's identity
            // failing to get a token for the account (Azure.Identity's exceptions) — is "no Table for
            // now", never an error to a caller. Only the caller's own cancellation passes through.
            _availability.ReportFailure(operation, ex);
            _telemetry.TableOperation(operation, "failure");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw new TokenCacheUnavailableException($"Token cache {operation} failed ({ex.GetType().Name}).", ex);
        }
    }
}
