namespace TokenFunctions.Tokens;

/// <summary>What pre-warming did for one target.</summary>
public enum PrewarmState
{
    /// <summary>The cached token had enough life left; Entra was not called.</summary>
    Fresh,

    /// <summary>A new token was obtained from Entra and written through the cache.</summary>
    Refreshed,

    /// <summary>No token could be had; see the error.</summary>
    Failed,
}

public sealed record PrewarmOutcome(PrewarmState State, TokenError? Error);
