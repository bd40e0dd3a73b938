using Microsoft.Identity.Client;
using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// The MSAL applications of one resource of one client: one for the global endpoint and, once a
/// region is known, one for the regional endpoint. Both are bound to the resource's single Table row,
/// so a token either of them obtains is found by both, on this instance and on every other.
/// </summary>
public sealed class ResourceApplications
{
    private readonly Func<string?, BoundApplication> _bind;
    private readonly Lazy<BoundApplication> _global;
    private volatile BoundApplication? _regional;

    public ResourceApplications(ClientRegistration client, MsalApplicationFactory applications, CacheEntryKey row, ClientRemovals removals)
    {
        Row = row;

        // Both applications acquire under the removal generation known now: a removal after this
        // point drops them, and what they would write then is refused (see ClientRemovals).
        var generation = removals.Current;
        _bind = region => applications.ForResource(client, row, region, removals, generation);
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

    /// <summary>Table reads made by this resource's bindings so far.</summary>
    public long TableReads => (_global.IsValueCreated ? _global.Value.Binding.Reads : 0) + (_regional?.Binding.Reads ?? 0);

    /// <summary>An acquisition begins: what its bindings read from now on is what it may rely on (the throttle record).</summary>
    public void BeginAcquisition()
    {
        if (_global.IsValueCreated)
        {
            _global.Value.Binding.BeginAcquisition();
        }

        _regional?.Binding.BeginAcquisition();
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
