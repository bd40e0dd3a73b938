using System.Collections.Concurrent;
using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// The MSAL applications of each resource one client has served (<c>api://x</c> for
/// <c>api://x/.default</c>; for a generic OpenID Connect provider, each exact scope set: see
/// <see cref="ScopeRules"/>), each bound to its own row of the client's Table partition. Bounded: past
/// <see cref="Capacity"/> resources it starts over — the applications go, their tokens stay in the Table.
/// </summary>
public sealed class ClientResources(
    ClientRegistration client, MsalApplicationFactory applications, ClientRemovals removals, TokenCacheTable table, TimeProvider time)
{
    public const int Capacity = 256;

    private readonly ConcurrentDictionary<string, ResourceApplications> _resources = new(client.Scopes.Comparer);

    /// <summary>The applications that serve a request for <paramref name="requested"/>.</summary>
    public ResourceApplications For(IReadOnlyList<string> requested)
    {
        var resource = client.Scopes.PartitionOf(requested);
        if (_resources.TryGetValue(resource, out var existing))
        {
            return existing;
        }

        if (_resources.Count >= Capacity)
        {
            _resources.Clear();
        }

        return _resources.GetOrAdd(resource, r => new ResourceApplications(client, applications, new CacheEntryKey(client.AppTokenPartition, client.Scopes.RowOf(r)), removals, table, time));
    }

    public void Clear() => _resources.Clear();
}
