namespace TokenFunctions.Tests.Rig;

/// <summary>Holds the first request that matches until the test releases it: a slow dependency, on cue.</summary>
public sealed class HoldFirstRequest(Func<HttpRequestMessage, bool> matches) : DelegatingHandler
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The first entity insert of a token row (its first write).</summary>
    public static HoldFirstRequest EntityInsert() =>
        new(r => r.Method == HttpMethod.Post && !r.RequestUri!.AbsolutePath.EndsWith("/Tables", StringComparison.Ordinal));

    /// <summary>The first entity update (a write over a row read before).</summary>
    public static HoldFirstRequest EntityUpdate() => new(r => r.Method == HttpMethod.Put);

    /// <summary>The first read of an app-token row (a query of the client's partition, which brings the row's records along).</summary>
    public static HoldFirstRequest AppTokenRead() =>
        new(r => r.Method == HttpMethod.Get && Uri.UnescapeDataString(r.RequestUri!.PathAndQuery).Contains("PartitionKey eq 'app-", StringComparison.Ordinal));

    public Task Arrived => _arrived.Task;

    public void Release() => _released.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (matches(request) && _arrived.TrySetResult())
        {
            await _released.Task.ConfigureAwait(false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
