namespace TokenFunctions.Tokens;

/// <summary>Where a token came from, as MSAL reports it.</summary>
public enum TokenSource
{
    Cache,
    IdentityProvider,
}

/// <summary>A ready access token, as the core hands it out.</summary>
public sealed record AccessToken(
    string TokenType,
    string Value,
    DateTimeOffset ExpiresOn,
    DateTimeOffset? RefreshOn,
    TokenSource Source)
{
    /// <summary>
    /// MSAL served this token from its cache and started refreshing it in the background (it was past
    /// Entra's <c>refresh_in</c> on MSAL's clock): no second refresh is needed.
    /// </summary>
    public bool RefreshStarted { get; init; }

    /// <summary>The same token, reported as served from a cache.</summary>
    public AccessToken FromCache() => Source == TokenSource.Cache && !RefreshStarted ? this : this with { Source = TokenSource.Cache, RefreshStarted = false };

    // The token value is a credential: keep it out of every ToString, debugger view and log.
    public override string ToString() => $"{TokenType} token expiring {ExpiresOn:O} ({Source})";
}
