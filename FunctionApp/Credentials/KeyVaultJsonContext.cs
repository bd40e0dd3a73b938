using System.Text.Json.Serialization;

namespace TokenFunctions.Credentials;

/// <summary>Key Vault's <c>KeySignParameters</c>: the algorithm and the base64url digest.</summary>
internal sealed record KeyVaultSignRequest(
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("value")] string Value);

/// <summary>Key Vault's <c>KeyOperationResult</c>: the key version that signed and the base64url signature.</summary>
internal sealed record KeyVaultSignResult(
    [property: JsonPropertyName("kid")] string? KeyId,
    [property: JsonPropertyName("value")] string? Value);

/// <summary>Source-generated JSON of <see cref="KeyVaultSigningClient"/>.</summary>
[JsonSerializable(typeof(KeyVaultSignRequest))]
[JsonSerializable(typeof(KeyVaultSignResult))]
internal sealed partial class KeyVaultJsonContext : JsonSerializerContext;
