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

    /// <summary>The first point read of an app-token row.</summary>
    public static HoldFirstRequest AppTokenRead() =>
        new(r => r.Method == HttpMethod.Get && r.RequestUri!.AbsolutePath.Contains("PartitionKey='app-", StringComparison.Ordinal));

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
