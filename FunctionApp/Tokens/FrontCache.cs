using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace TokenFunctions.Tokens;

/// <summary>
/// Ready tokens by request key, answered without entering MSAL (the <c>front</c> layer in telemetry),
/// and, with <paramref name="tracksLifetimes"/>, the lifetime Entra gave each key's last token, so that
/// pre-warming never refreshes more often than half of it. Bounded: past <see cref="Capacity"/> keys
/// the token that expires first is forgotten — MSAL and the Table still hold every token, so forgetting
/// costs one lookup, never a token, and a thousand active users do not empty it for each other.
/// </summary>
public sealed class FrontCache(IEqualityComparer<string> comparer, bool tracksLifetimes)
{
    /// <summary>More keys than any real set of callers uses.</summary>
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<string, AccessToken> _tokens = new(comparer);

    // Created on first use (about 500 bytes each): a new instance whose first tokens come from the
    // Table has no lifetime from Entra and no refresh held back, and an on-behalf-of cache never
    // tracks lifetimes.
    private ConcurrentDictionary<string, TimeSpan>? _lifetimes;
    private ConcurrentDictionary<string, DateTimeOffset>? _refreshHeld;

    /// <summary>The token last remembered for <paramref name="key"/>, whatever its freshness.</summary>
    public bool TryGet(string key, [NotNullWhen(true)] out AccessToken? token) => _tokens.TryGetValue(key, out token);

    public bool Contains(string key) => _tokens.ContainsKey(key);

    /// <summary>Remembers <paramref name="token"/> as served from cache from now on, and its lifetime when it is new from Entra.</summary>
    public void Remember(string key, AccessToken token, DateTimeOffset now)
    {
        if (_tokens.Count >= Capacity && !_tokens.ContainsKey(key))
        {
            EvictFirstToExpire();
        }

        _tokens[key] = token.FromCache();
        if (token.Source == TokenSource.IdentityProvider)
        {
            Volatile.Read(ref _refreshHeld)?.TryRemove(key, out _);
        }

        if (tracksLifetimes && token.Source == TokenSource.IdentityProvider)
        {
            var lifetimes = LazyInitializer.EnsureInitialized(ref _lifetimes, () => new(comparer));
            if (lifetimes.Count >= Capacity && !lifetimes.ContainsKey(key))
            {
                // Lifetimes are Entra's per resource, not per user: any one can go.
                lifetimes.TryRemove(lifetimes.Keys.First(), out _);
            }

            lifetimes[key] = token.ExpiresOn - now;
        }
    }

    /// <summary>Forgets the token of one key.</summary>
    public void Remove(string key) => _tokens.TryRemove(key, out _);

    /// <summary>Whether a refresh of <paramref name="key"/> was held back since its last token from Entra (held now or not).</summary>
    public bool WasRefreshHeld(string key) => Volatile.Read(ref _refreshHeld)?.ContainsKey(key) == true;

    /// <summary>The lifetime of the last token Entra issued for <paramref name="key"/>, when known.</summary>
    public TimeSpan? LifetimeOf(string key) => Volatile.Read(ref _lifetimes) is { } lifetimes && lifetimes.TryGetValue(key, out var lifetime) ? lifetime : null;

    /// <summary>
    /// Entra failed to refresh the due token of <paramref name="key"/>: until <paramref name="until"/> it
    /// is served as it is, rather than each request waiting out the same failure.
    /// </summary>
    public void HoldRefresh(string key, DateTimeOffset until)
    {
        var refreshHeld = LazyInitializer.EnsureInitialized(ref _refreshHeld, () => new(comparer));
        if (refreshHeld.Count >= Capacity && !refreshHeld.ContainsKey(key))
        {
            refreshHeld.Clear();
        }

        refreshHeld[key] = until;
    }

    /// <summary>Whether a refresh of <paramref name="key"/>'s token is held back at <paramref name="now"/>.</summary>
    public bool IsRefreshHeld(string key, DateTimeOffset now) =>
        Volatile.Read(ref _refreshHeld) is { } refreshHeld && refreshHeld.TryGetValue(key, out var until) && now < until;

    /// <summary>Forgets every token (lifetimes stay: they describe Entra, not a token).</summary>
    public void Clear()
    {
        _tokens.Clear();
        Volatile.Read(ref _refreshHeld)?.Clear();
    }

    // A scan of at most Capacity entries, on a miss only (which waited for MSAL or Entra anyway): the
    // token that would have gone first is the one a caller is least likely to be served again.
    private void EvictFirstToExpire()
    {
        string? first = null;
        var firstExpiry = DateTimeOffset.MaxValue;
        foreach (var (key, token) in _tokens)
        {
            if (token.ExpiresOn < firstExpiry)
            {
                (first, firstExpiry) = (key, token.ExpiresOn);
            }
        }

        if (first is not null)
        {
            _tokens.TryRemove(first, out _);
        }
    }
}
