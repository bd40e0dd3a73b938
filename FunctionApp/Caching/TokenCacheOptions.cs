using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Caching;

/// <summary><c>TokenCache__...</c>: where the shared token cache lives and how it is sealed.</summary>
public sealed class TokenCacheOptions
{
    public const string SectionName = "TokenCache";

    /// <summary>The Azure Table that holds the cache (3-63 letters and digits, starting with a letter).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "TokenCache__TableName must be 3-63 letters and digits, starting with a letter.")]
    public string TableName { get; set; } = "tokencache";

    /// <summary>
    /// The AES-256 key (base64 of 32 bytes) that seals every entry. Required outside Development;
    /// in Development a missing or blank key means a random one per process (entries do not survive restarts).
    /// </summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Keys that sealed older entries, still accepted for reading during a key rotation.</summary>
    public List<string> PreviousEncryptionKeys { get; set; } = [];

    /// <summary>One Table call, retries included; a slower Table is treated as unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a Table failure, how long requests go without the Table before trying it again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan OutageBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How soon a removal (<c>DELETE /api/clients/{client}/tokens</c>) reaches every instance: each
    /// re-reads the client's removal record at most this often before serving a token from memory.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RemovalPropagation { get; set; } = TimeSpan.FromSeconds(5);
}
