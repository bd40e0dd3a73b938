namespace TokenFunctions.Authorities;

/// <summary>
/// One attempt at an Entra endpoint, timed on the exchanges with Entra alone. Its token bounds the MSAL
/// call under the request budget; its timeout runs only while an HTTP request to Entra is in flight
/// (<see cref="EntraAttemptTimeoutHandler"/> arms it), so the Table reads and writes of MSAL's cache
/// hooks, the throttle check and a cold certificate download are never mistaken for a slow region, and
/// a token Entra issued is not thrown away because its write to the Table was slow. The attempt flows
/// with the call (an async-local), as MSAL gives its HTTP client nothing else to go by.
/// </summary>
public sealed class EntraAttempt : IDisposable
{
    private static readonly AsyncLocal<EntraAttempt?> Current = new();

    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _attempt;
    private volatile bool _disposed;

    private EntraAttempt(TimeSpan timeout, TimeProvider time, CancellationToken budget)
    {
        _timeout = timeout;
        _timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _attempt = CancellationTokenSource.CreateLinkedTokenSource(budget, _timer.Token);
    }

    /// <summary>Cancelled when the budget runs out, or an exchange with Entra outlasts the timeout.</summary>
    public CancellationToken Token => _attempt.Token;

    /// <summary>An exchange with Entra outlasted the attempt's timeout.</summary>
    public bool TimedOut => _timer.IsCancellationRequested;

    /// <summary>Starts an attempt for the calling flow (the MSAL call and the HTTP requests it makes).</summary>
    public static EntraAttempt Start(TimeSpan timeout, TimeProvider time, CancellationToken budget)
    {
        var attempt = new EntraAttempt(timeout, time, budget);
        Current.Value = attempt;
        return attempt;
    }

    /// <summary>Times one exchange of the calling flow's attempt, if there is one; disposing stops the clock.</summary>
    public static IDisposable? TimeExchange() => Current.Value?.Arm();

    public void Dispose()
    {
        _disposed = true;
        if (ReferenceEquals(Current.Value, this))
        {
            Current.Value = null;
        }

        _attempt.Dispose();
        _timer.Dispose();
    }

    // MSAL's background refresh runs on a copy of the call's flow, after the attempt has ended: such
    // an exchange is timed by nothing but HttpClient's own backstop.
    private Exchange? Arm()
    {
        try
        {
            if (!_disposed)
            {
                _timer.CancelAfter(_timeout);
                return new Exchange(this);
            }
        }
        catch (ObjectDisposedException)
        {
            // Ended between the check and the call: the same as ended before it.
        }

        return null;
    }

    private sealed class Exchange(EntraAttempt attempt) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (!attempt._disposed && !attempt.TimedOut)
                {
                    attempt._timer.CancelAfter(Timeout.InfiniteTimeSpan);
                }
            }
            catch (ObjectDisposedException)
            {
                // The attempt ended while its exchange was finishing: nothing left to stop.
            }
        }
    }
}
