namespace TokenFunctions.Caching;

/// <summary>The Table could not be used for this call (down, slow, throttling, or backing off after a failure).</summary>
public sealed class TokenCacheUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
