using System.Security.Cryptography;
using System.Text;

namespace TokenFunctions.Tests.Rig;

/// <summary>A caller of the managed-identity endpoint and its secret: a fresh random secret, configured by its hash only.</summary>
public sealed record IdentitySecret(string Name, string Secret, params string[] Resources)
{
    public static IdentitySecret Create(string name, params string[] resources) =>
        new(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), resources);

    public string SecretSha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Secret)));

    /// <summary>Adds this caller as <c>Clients__{client}__ManagedIdentityCallers__{index}__...</c>.</summary>
    public void Configure(IDictionary<string, string?> settings, string client, int index)
    {
        var prefix = $"Clients__{client}__ManagedIdentityCallers__{index}__";
        settings[prefix + "Name"] = Name;
        settings[prefix + "SecretSha256"] = SecretSha256;
        for (var j = 0; j < Resources.Length; j++)
        {
            settings[$"{prefix}Resources__{j}"] = Resources[j];
        }
    }
}
