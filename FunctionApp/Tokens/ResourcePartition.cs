using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// One resource of one client: its MSAL application for the global endpoint and, once a region is
/// known, one for the regional endpoint. Each is bound to the resource's single Table entry, so a
/// token either of them obtains is found by both, in this instance and in every other.
/// </summary>
internal sealed class ResourcePartition
{
    private readonly Func<string?, IConfidentialClientApplication> _create;
    private readonly TokenCacheTable _table;
    private readonly ILogger _logger;
    private readonly Lazy<MsalApplication> _global;
    private volatile MsalApplication? _regional;

    public ResourcePartition(Func<string?, IConfidentialClientApplication> create, TokenCacheTable table, CacheEntryKey key, ILogger logger)
    {
        _create = create;
        _table = table;
        _logger = logger;
        Key = key;
        _global = new Lazy<MsalApplication>(() => Bind(null));
    }

    public CacheEntryKey Key { get; }

    public MsalApplication Global => _global.Value;

    public MsalApplication Regional(string region)
    {
        var regional = _regional;
        if (regional is null || regional.Region != region)
        {
            regional = _regional = Bind(region);
        }

        return regional;
    }

    /// <summary>Table reads made by this resource's bindings so far.</summary>
    public long TableReads => (_global.IsValueCreated ? _global.Value.Binding.Reads : 0) + (_regional?.Binding.Reads ?? 0);

    /// <summary>The next access re-reads the Table: another instance may have refreshed the token.</summary>
    public void MarkStale()
    {
        if (_global.IsValueCreated)
        {
            _global.Value.Binding.MarkStale();
        }

        _regional?.Binding.MarkStale();
    }

    private MsalApplication Bind(string? region)
    {
        var application = _create(region);
        var binding = new TableCacheBinding(_table, Key, _logger);
        binding.Attach(application.AppTokenCache);
        return new MsalApplication(application, binding, region);
    }
}

/// <summary>An MSAL application with its Table binding; <see cref="Region"/> is null for the global endpoint.</summary>
internal sealed record MsalApplication(IConfidentialClientApplication Application, TableCacheBinding Binding, string? Region);
