using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Caching;

/// <summary><c>TokenCache__...</c>: where the shared token cache lives.</summary>
public sealed class TokenCacheOptions
{
    public const string SectionName = "TokenCache";

    /// <summary>The Azure Table that holds the cache (3-63 letters and digits, starting with a letter).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "TokenCache__TableName must be 3-63 letters and digits, starting with a letter.")]
    public string TableName { get; set; } = "tokencache";
}
