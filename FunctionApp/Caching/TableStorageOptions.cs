using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Caching;

/// <summary>
/// The storage account of the token cache: the Functions host's own. Either a connection string in
/// <c>AzureWebJobsStorage</c> (Azurite locally), or identity-based access as the host itself uses it
/// in Azure: <c>AzureWebJobsStorage__accountName</c> (or <c>__tableServiceUri</c>), signed in with the
/// app's managed identity (<c>__clientId</c> names a user-assigned one).
/// </summary>
public sealed class TableStorageOptions : IValidatableObject
{
    public const string ConnectionSettingName = "AzureWebJobsStorage";
    public const string AccountNameSettingName = "AzureWebJobsStorage:accountName";
    public const string TableServiceUriSettingName = "AzureWebJobsStorage:tableServiceUri";
    public const string ClientIdSettingName = "AzureWebJobsStorage:clientId";

    public string? ConnectionString { get; set; }

    public string? AccountName { get; set; }

    public string? TableServiceUri { get; set; }

    /// <summary>Client id of the user-assigned identity that reaches the account (identity-based access only).</summary>
    public string? ClientId { get; set; }

    /// <summary>The Table endpoint for identity-based access; null when a connection string is used.</summary>
    public Uri? IdentityEndpoint =>
        !string.IsNullOrWhiteSpace(ConnectionString) ? null
        : !string.IsNullOrWhiteSpace(TableServiceUri) ? new Uri(TableServiceUri)
        : !string.IsNullOrWhiteSpace(AccountName) ? new Uri($"https://{AccountName}.table.core.windows.net")
        : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        if (!string.IsNullOrWhiteSpace(TableServiceUri))
        {
            if (!Uri.TryCreate(TableServiceUri, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                yield return new ValidationResult("AzureWebJobsStorage__tableServiceUri must be the account's https Table endpoint.");
            }
        }
        else if (string.IsNullOrWhiteSpace(AccountName))
        {
            yield return new ValidationResult(
                "AzureWebJobsStorage is required: the token cache lives in its Table service. Set a connection string " +
                "(UseDevelopmentStorage=true with Azurite locally) or, for identity-based access, AzureWebJobsStorage__accountName.");
        }
        else if (!AccountName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) || AccountName.Length is < 3 or > 24)
        {
            yield return new ValidationResult("AzureWebJobsStorage__accountName must be a storage account name: 3-24 lowercase letters and digits.");
        }
    }
}
