namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// Counts the HTTP requests one Table client sends: GETs are reads (point reads, queries), every
/// other method is a write (insert, replace, upsert, merge, delete, create table). Retries count too.
/// </summary>
internal sealed class TableTraffic
{
    private int _reads;
    private int _writes;

    public int Reads => Volatile.Read(ref _reads);

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>A handler to put in front of the Table client's primary handler.</summary>
    public DelegatingHandler CreateHandler() => new CountingHandler(this);

    private void Count(HttpRequestMessage request)
    {
        if (request.Method == HttpMethod.Get)
        {
            Interlocked.Increment(ref _reads);
        }
        else
        {
            Interlocked.Increment(ref _writes);
        }
    }

    private sealed class CountingHandler(TableTraffic traffic) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            traffic.Count(request);
            return base.SendAsync(request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            traffic.Count(request);
            return base.Send(request, cancellationToken);
        }
    }
}
