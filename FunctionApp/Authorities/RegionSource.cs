namespace TokenFunctions.Authorities;

/// <summary>Where a client's region came from (logged, and reported by health).</summary>
public enum RegionSource
{
    /// <summary>No region: the client uses the global endpoint.</summary>
    Global,

    /// <summary>The client's <c>AzureRegion</c> setting names it.</summary>
    Configured,

    /// <summary><c>MSAL_FORCE_REGION</c>.</summary>
    ForcedByEnvironment,

    /// <summary><c>REGION_NAME</c>, set by Azure Functions.</summary>
    FunctionsEnvironment,

    /// <summary>An earlier instance's discovery, persisted in the Table.</summary>
    Persisted,

    /// <summary>The instance metadata service.</summary>
    InstanceMetadata,
}

/// <summary>The region a client sends requests to (null: global), and how it was found.</summary>
public sealed record ResolvedRegion(string? Name, RegionSource Source)
{
    public static readonly ResolvedRegion Global = new(null, RegionSource.Global);
}
