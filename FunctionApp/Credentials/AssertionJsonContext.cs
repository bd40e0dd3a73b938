using System.Text.Json.Serialization;

namespace TokenFunctions.Credentials;

/// <summary>
/// The JSON the broker writes into client assertions — a JWT's header and claims, and the extra
/// claims a client adds to MSAL's — serialized by generated code, not reflection: no metadata is
/// built at run time, and it stays correct under trimming.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
internal sealed partial class AssertionJsonContext : JsonSerializerContext;
