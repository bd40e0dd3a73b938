using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Caching;

/// <summary>The storage account of the token cache: the Functions host's own (<c>AzureWebJobsStorage</c>).</summary>
public sealed class TableStorageOptions
{
    public const string ConnectionSettingName = "AzureWebJobsStorage";

    [Required(ErrorMessage = "AzureWebJobsStorage is required: the token cache lives in its Table service (use UseDevelopmentStorage=true with Azurite locally).")]
    public string? ConnectionString { get; set; }
}
