namespace TokenFunctions.Callers;

/// <summary>
/// The managed-identity callers of every client, bound from the same <c>Clients__{name}__...</c>
/// settings as the token core. It lives beside the caller policy, not in the core's options: who may
/// call is the callers' question, and the core must not depend on it.
/// </summary>
public sealed class ManagedIdentityOptions
{
    public Dictionary<string, ManagedIdentityClientOptions> Clients { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One client's <c>ManagedIdentityCallers__{i}__...</c>; none means the client does not serve the protocol.</summary>
public sealed class ManagedIdentityClientOptions
{
    public List<ManagedIdentityCallerOptions> ManagedIdentityCallers { get; set; } = [];
}

/// <summary>
/// <c>Clients__{name}__ManagedIdentityCallers__{i}__...</c>: one caller of the managed-identity
/// endpoint, known by the SHA-256 of its secret (the secret itself is never configured), and the
/// resources it may ask for.
/// </summary>
public sealed class ManagedIdentityCallerOptions
{
    /// <summary>What logs call this caller; never the secret.</summary>
    public string Name { get; set; } = "";

    /// <summary>The lowercase hex SHA-256 of the UTF-8 secret the caller sends as <c>X-IDENTITY-HEADER</c>.</summary>
    public string SecretSha256 { get; set; } = "";

    /// <summary>Resources as the protocol names them (<c>api://x</c>, no <c>/.default</c>).</summary>
    public List<string> Resources { get; set; } = [];
}
