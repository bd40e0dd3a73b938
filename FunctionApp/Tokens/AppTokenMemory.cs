using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// What this instance holds of one client's app tokens — ready tokens (<see cref="Front"/>) and the
/// MSAL applications with their in-memory caches (<see cref="Resources"/>) — and the removal generation
/// it holds them under. It may be served only while the client's removal record was checked recently
/// and names no later removal; otherwise it is checked, and forgotten if a removal happened.
/// </summary>
public sealed class AppTokenMemory(FrontCache front, ClientResources resources, ClientRemovals removals)
{
    private long _generation = removals.Current;

    public FrontCache Front => front;

    public ClientResources Resources => resources;

    /// <summary>The removal generation acquisitions start under now.</summary>
    public long Generation => removals.Current;

    /// <summary>
    /// Remembers a token acquired under <paramref name="generation"/>, unless a removal has come since:
    /// checked again after the write, as a removal may forget everything between the two.
    /// </summary>
    public void Remember(string key, AccessToken token, long generation, DateTimeOffset now)
    {
        if (removals.Current != generation)
        {
            return;
        }

        front.Remember(key, token, now);
        if (removals.Current != generation)
        {
            front.Remove(key);
        }
    }

    /// <summary>Memory may be served without asking the Table.</summary>
    public bool IsCurrent => removals.IsCurrent && Volatile.Read(ref _generation) == removals.Current;

    /// <summary><see cref="IsCurrent"/> at a time the caller read already (the hot path reads the clock once).</summary>
    public bool IsCurrentAt(DateTimeOffset now) => removals.IsCurrentAt(now) && Volatile.Read(ref _generation) == removals.Current;

    /// <summary>A removal this instance has learnt of came after what memory holds: it must be forgotten.</summary>
    public bool IsBehindRemoval => Volatile.Read(ref _generation) != removals.Current;

    /// <summary>Checks the removal record when due, and forgets everything a removal was meant for.</summary>
    public async Task RefreshAsync()
    {
        if (!removals.IsCurrent)
        {
            await removals.CheckAsync().ConfigureAwait(false);
        }

        if (removals.Unknown || removals.Current > Volatile.Read(ref _generation))
        {
            Forget();
        }
    }

    /// <summary>
    /// Records a removal of the client's app tokens (first, so that an acquisition under way on any
    /// instance cannot write its tokens back) and forgets them here. Throws
    /// <see cref="TokenCacheUnavailableException"/> when it cannot be recorded.
    /// </summary>
    public async Task RemoveAsync(CancellationToken cancellationToken)
    {
        await removals.RemoveAsync(cancellationToken).ConfigureAwait(false);
        Forget();
    }

    /// <summary>Forgets every app token and application of the client (after a removal).</summary>
    public void Forget()
    {
        var generation = removals.Current;
        front.Clear();
        resources.Clear();
        Volatile.Write(ref _generation, generation);
    }
}
