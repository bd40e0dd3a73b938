using System.Collections.Concurrent;
using TokenFunctions.Caching;

namespace TokenFunctions.Tokens;

/// <summary>
/// The MSAL applications of each resource one client has served, by resource (<c>api://x</c> for
/// <c>api://x/.default</c>), each bound to its own row of the client's Table partition. Bounded: past
/// <see cref="Capacity"/> resources it starts over — the applications go, their tokens stay in the Table.
/// </summary>
public sealed class ClientResources(ClientRegistration client, MsalApplicationFactory applications, string tablePartition)
{
    public const int Capacity = 256;

    private readonly ConcurrentDictionary<string, ResourceApplications> _resources = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The applications of the resource <paramref name="scope"/> belongs to.</summary>
    public ResourceApplications Of(string scope)
    {
        var resource = ScopeSet.Resource(scope);
        if (_resources.TryGetValue(resource, out var existing))
        {
            return existing;
        }

        if (_resources.Count >= Capacity)
        {
            _resources.Clear();
        }

        return _resources.GetOrAdd(resource, r => new ResourceApplications(client, applications, new CacheEntryKey(tablePartition, CacheKeys.ResourceRow(r))));
    }

    public void Clear() => _resources.Clear();
}
