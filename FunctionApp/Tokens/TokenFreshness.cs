namespace TokenFunctions.Tokens;

/// <summary>
/// When a token may be handed out: one rule, MSAL's, with one margin. A token within
/// <see cref="ExpiryMargin"/> of its expiry is not used at all. A usable token past its refresh point
/// (Entra's <c>refresh_in</c>) is due: Entra is asked for a new one, and the due one is served only
/// when that fails.
/// </summary>
public static class TokenFreshness
{
    /// <summary>MSAL does not serve a token this close to expiry; neither does the broker.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    /// <summary>More than the margin of life left.</summary>
    public static bool IsUsable(AccessToken token, DateTimeOffset now) => now < token.ExpiresOn - ExpiryMargin;

    /// <summary>
    /// Served without asking Entra: usable, not past its refresh point, and with at least
    /// <paramref name="lifeWanted"/> left (the pre-warm threshold; nothing more for a request).
    /// </summary>
    public static bool IsServable(AccessToken token, DateTimeOffset now, TimeSpan lifeWanted = default) =>
        IsUsable(token, now) && (token.RefreshOn is not { } refreshOn || now < refreshOn) && token.ExpiresOn - now >= lifeWanted;
}
