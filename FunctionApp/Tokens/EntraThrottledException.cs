namespace TokenFunctions.Tokens;

/// <summary>Entra asked this client to wait (see <see cref="EntraThrottle"/>); no request was sent.</summary>
public sealed class EntraThrottledException(TimeSpan retryAfter) : Exception($"Entra asked to retry after {retryAfter}.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
