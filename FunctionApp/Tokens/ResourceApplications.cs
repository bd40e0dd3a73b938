using Microsoft.Identity.Client;
using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// The MSAL applications of one resource of one client: one for the global endpoint and, once a
/// region is known, one for the regional endpoint. Both are bound to the resource's single Table row,
/// so a token either of them obtains is found by both, on this instance and on every other. Until one
/// is needed, none is built: a token the row already holds is served without MSAL
/// (<see cref="TryServeFromTableAsync"/>), and otherwise that read is handed to the first one built.
/// </summary>
public sealed class ResourceApplications
{
    private readonly ClientRegistration _client;
    private readonly TokenCacheTable _table;
    private readonly ClientRemovals _removals;
    private readonly TimeProvider _time;
    private readonly Func<string?, BoundApplication> _bind;
    private readonly Lazy<BoundApplication> _global;
    private volatile BoundApplication? _regional;
    private HandedRead? _handedRead;
    private long _acquisitions;
    private long _coldReads;

    public ResourceApplications(
        ClientRegistration client, MsalApplicationFactory applications, CacheEntryKey row, ClientRemovals removals, TokenCacheTable table, TimeProvider time)
    {
        Row = row;
        _client = client;
        _table = table;
        _removals = removals;
        _time = time;

        // Both applications acquire under the removal generation known now: a removal after this
        // point drops them, and what they would write then is refused (see ClientRemovals).
        var generation = removals.Current;
        _bind = region => HandRead(applications.ForResource(client, row, region, removals, generation));
        _global = new Lazy<BoundApplication>(() => _bind(null));
    }

    /// <summary>The Table row of this resource's tokens (and of its throttle record's name).</summary>
    public CacheEntryKey Row { get; }

    public BoundApplication Global => _global.Value;

    public BoundApplication Regional(string region)
    {
        var regional = _regional;
        if (regional is null || regional.Region != region)
        {
            regional = _regional = _bind(region);
        }

        return regional;
    }

    /// <summary>Table reads made for this resource so far: before any application was built, and by their bindings.</summary>
    public long TableReads =>
        Interlocked.Read(ref _coldReads) + (_global.IsValueCreated ? _global.Value.Binding.Reads : 0) + (_regional?.Binding.Reads ?? 0);

    /// <summary>
    /// Before any application is built for this resource: reads its row (with the client's removal
    /// record, as a binding's read would) and returns the token it holds for <paramref name="scopes"/>
    /// when that is servable with <paramref name="lifeWanted"/> left — no MSAL application, no MSAL code.
    /// Otherwise null, and the read goes to the application this acquisition builds next, which reads
    /// nothing more. A read that outlasts <paramref name="budget"/> (the request's) is given up.
    /// </summary>
    public async Task<AccessToken?> TryServeFromTableAsync(IReadOnlyList<string> scopes, TimeSpan lifeWanted, TimeSpan budget)
    {
        if (HasApplication)
        {
            return null;
        }

        var acquisition = Interlocked.Read(ref _acquisitions);
        var asked = _removals.Now;
        TokenRowRead read;
        using var timeout = new CancellationTokenSource(budget, _time);
        try
        {
            read = await _table.ReadAsync(Row, withRemovalRecord: true, timeout.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _coldReads);
        }
        catch (TokenCacheUnavailableException)
        {
            return null; // logged once per outage; the application's own read skips the Table too
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null; // the budget is spent: the acquisition that follows says so
        }

        _removals.Observe(read.RemovalRecord, asked);
        if (read.Entry is { Payload: { } payload } entry && entry.Generation >= _removals.Current &&
            SerializedMsalCache.FindAppToken(payload, _client.Options.ClientId, Realm, scopes, _client.Scopes.Comparer) is { } token &&
            TokenFreshness.IsServable(token, _time.GetUtcNow(), lifeWanted))
        {
            return token;
        }

        // Handed over only while no application exists (a concurrent acquisition of another key of this
        // row may have built one meanwhile, with a read of its own), and taken only by this acquisition.
        if (!HasApplication)
        {
            Volatile.Write(ref _handedRead, new HandedRead(read, acquisition));
        }

        return null;
    }

    /// <summary>An acquisition begins: what its bindings read from now on is what it may rely on (the throttle record).</summary>
    public void BeginAcquisition()
    {
        // A read an earlier acquisition handed over and no application took is not this one's to rely on.
        Interlocked.Increment(ref _acquisitions);
        Volatile.Write(ref _handedRead, null);
        if (_global.IsValueCreated)
        {
            _global.Value.Binding.BeginAcquisition();
        }

        _regional?.Binding.BeginAcquisition();
    }

    private bool HasApplication => _global.IsValueCreated || _regional is not null;

    // The tenant as MSAL writes it in each token (none for a generic OpenID Connect provider).
    private string Realm => string.IsNullOrEmpty(_client.Options.OidcAuthority) ? _client.Tenant : "";

    private BoundApplication HandRead(BoundApplication bound)
    {
        if (Interlocked.Exchange(ref _handedRead, null) is { } handed && handed.Acquisition == Interlocked.Read(ref _acquisitions))
        {
            bound.Binding.UseRead(handed.Read);
        }

        return bound;
    }

    /// <summary>The next access re-reads the Table: another instance may have refreshed the token.</summary>
    public void MarkStale()
    {
        if (_global.IsValueCreated)
        {
            _global.Value.Binding.MarkStale();
        }

        _regional?.Binding.MarkStale();
    }
}

/// <summary>An MSAL application bound to one Table row; <see cref="Region"/> is null for the global endpoint.</summary>
public sealed record BoundApplication(IConfidentialClientApplication Application, TableCacheBinding Binding, string? Region)
{
    public CacheEntryKey Row => Binding.Key;
}

/// <summary>A read of the row made during acquisition number <see cref="Acquisition"/>, for its first application.</summary>
internal sealed record HandedRead(TokenRowRead Read, long Acquisition);
