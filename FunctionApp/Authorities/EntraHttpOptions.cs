using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Authorities;

/// <summary><c>Http__...</c>: how long the broker waits for Entra.</summary>
public sealed class EntraHttpOptions
{
    public const string SectionName = "Http";

    /// <summary>The named <see cref="HttpClient"/> every MSAL request goes through.</summary>
    public const string ClientName = "Entra";

    /// <summary>One HTTP attempt to Entra (MSAL's own default is HttpClient's 100 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A whole token request, MSAL's retry included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:02:00")]
    public TimeSpan RequestBudget { get; set; } = TimeSpan.FromSeconds(10);
}
