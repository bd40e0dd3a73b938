using System.ComponentModel.DataAnnotations;

namespace TokenFunctions.Authorities;

/// <summary><c>Http__...</c>: how long the broker waits for Entra, and when it gives up on a region.</summary>
public sealed class EntraHttpOptions
{
    public const string SectionName = "Http";

    /// <summary>The named <see cref="HttpClient"/> MSAL's requests go through, to the global and the regional endpoints.</summary>
    public const string ClientName = "Entra";

    /// <summary>The named <see cref="HttpClient"/> for the instance metadata service.</summary>
    public const string ImdsClientName = "Imds";

    /// <summary>One exchange with the global endpoint, request sent to answer read (MSAL alone would wait 100 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>One exchange with the regional endpoint; past it the request fails over to the global endpoint.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RegionalAttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A whole token request: every attempt, retry and failover.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:02:00")]
    public TimeSpan RequestBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the instance metadata service may take to name the region.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RegionDiscoveryTimeout { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Consecutive regional failures after which a client uses the global endpoint for a while.</summary>
    [Range(1, 100)]
    public int RegionalFailureThreshold { get; set; } = 3;

    /// <summary>How long a client stays on the global endpoint before one request probes the region again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RegionalCoolDown { get; set; } = TimeSpan.FromMinutes(5);
}
