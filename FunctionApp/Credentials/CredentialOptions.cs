using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Credentials;

/// <summary><c>Credentials__...</c> and <c>ManagedIdentity__...</c>: how the broker reaches Key Vault.</summary>
public sealed class CredentialOptions
{
    public const string SectionName = "Credentials";

    /// <summary>How often a Key Vault certificate is checked for a newer version, in the background.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Client id of the user-assigned managed identity (<c>ManagedIdentity__ClientId</c> or <c>AZURE_CLIENT_ID</c>).</summary>
    public string? ManagedIdentityClientId { get; set; }
}
