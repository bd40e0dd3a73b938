namespace TokenFunctions.Tokens;

/// <summary>The root of the token core's settings: every configured client, by name.</summary>
public sealed class TokenCoreOptions
{
    public Dictionary<string, ConfidentialClientOptions> Clients { get; set; } =
        new(StringComparer.OrdinalIgnoreCase);
}
