using System.Text.Json.Serialization;

namespace TokenFunctions.Credentials;

/// <summary>The JOSE header of a certificate assertion, in the order Entra's own examples show it.</summary>
internal sealed record AssertionHeader(
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("typ")] string Type,
    [property: JsonPropertyName("x5t")] string? Sha1Thumbprint,
    [property: JsonPropertyName("x5t#S256")] string Sha256Thumbprint,
    [property: JsonPropertyName("x5c")] string[]? Chain);

/// <summary>The claims of a certificate assertion: the registered ones, then the client's own.</summary>
internal sealed class AssertionPayload
{
    [JsonPropertyName("aud")]
    public required string Audience { get; init; }

    [JsonPropertyName("iss")]
    public required string Issuer { get; init; }

    [JsonPropertyName("sub")]
    public required string Subject { get; init; }

    [JsonPropertyName("jti")]
    public required string Id { get; init; }

    [JsonPropertyName("nbf")]
    public required long NotBefore { get; init; }

    [JsonPropertyName("iat")]
    public required long IssuedAt { get; init; }

    [JsonPropertyName("exp")]
    public required long ExpiresAt { get; init; }

    // Settable, not init: System.Text.Json binds extension data after construction only.
    [JsonExtensionData]
    public Dictionary<string, object>? ClientClaims { get; set; }
}

/// <summary>
/// The JSON the broker writes into client assertions — a JWT's header and claims, and the extra
/// claims a client adds to MSAL's — serialized by generated code, not reflection: no metadata is
/// built at run time, and it stays correct under trimming.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AssertionHeader))]
[JsonSerializable(typeof(AssertionPayload))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string))]
internal sealed partial class AssertionJsonContext : JsonSerializerContext;
