using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using TokenFunctions.Authorities;
using TokenFunctions.Telemetry;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Tokens;

/// <summary>
/// One client-credentials call through MSAL, regional first when the client has a region and its
/// circuit allows: a regional attempt that times out, cannot connect or meets a 5xx is retried on the
/// global endpoint within the same budget. Entra's 4xx answers are final wherever they come from.
/// MSAL.NET itself falls back only when region discovery fails, never when the regional endpoint does.
/// </summary>
public sealed partial class RegionalFailover(
    ClientRegistration client, RegionResolver regions, MsalRequests requests, IOptions<EntraHttpOptions> http, TokenTelemetry telemetry, TimeProvider time)
{
    private readonly EntraHttpOptions _http = http.Value;

    public RegionalCircuit Circuit { get; } = new(client.Name, http.Value.RegionalFailureThreshold, http.Value.RegionalCoolDown, time, telemetry, client.Logger);

    public async Task<AccessToken> AcquireForClientAsync(
        ResourceApplications resource, IReadOnlyList<string> scopes, string? claimsChallenge, bool forceRefresh, CancellationToken budget)
    {
        var region = await regions.ResolveAsync(client.Options.AzureRegion, budget).ConfigureAwait(false);
        if (region.Name is { } name && Circuit.AllowRegional())
        {
            using var attempt = EntraAttempt.Start(_http.RegionalAttemptTimeout, time, budget);
            try
            {
                var token = await requests.ForClientAsync(resource.Regional(name), scopes, claimsChallenge, forceRefresh, attempt.Token).ConfigureAwait(false);
                if (token.Source == TokenSource.IdentityProvider)
                {
                    Circuit.RecordSuccess();
                }
                else
                {
                    Circuit.ReleaseProbe(); // a cache hit says nothing about the region
                }

                return token;
            }
            catch (Exception ex) when (!budget.IsCancellationRequested && EntraFailure.IsRegionalOutage(ex, attempt.TimedOut))
            {
                Circuit.RecordFailure();
                LogFailover(client.Logger, client.Name, name, attempt.TimedOut ? "timeout" : ex is MsalServiceException { StatusCode: > 0 } service ? $"HTTP {service.StatusCode}" : ex.GetType().Name);
            }
            catch (MsalServiceException ex) when (ex.StatusCode is >= 400 and < 500)
            {
                // Entra answered from the region (a 4xx is the request's fault, not the region's).
                Circuit.RecordSuccess();
                throw;
            }
            catch
            {
                // Anything else (the budget, the credential, throttling) leaves the circuit as it was.
                Circuit.ReleaseProbe();
                throw;
            }
        }

        using var globalAttempt = EntraAttempt.Start(_http.AttemptTimeout, time, budget);
        return await requests.ForClientAsync(resource.Global, scopes, claimsChallenge, forceRefresh, globalAttempt.Token).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
        Message = "Client {Client}: regional endpoint {Region} failed ({Reason}); failing over to the global endpoint")]
    private static partial void LogFailover(ILogger logger, string client, string region, string reason);
}
