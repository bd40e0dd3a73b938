using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using TokenFunctions.Telemetry;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Tokens;

/// <summary>
/// One MSAL request as Entra sees it, for telemetry: started by <see cref="MsalRequests"/> when MSAL is
/// about to send it (never on a cache hit), finished when MSAL returns — one activity, one metric and
/// one log line per call that reached Entra, none for calls MSAL answered from its cache.
/// </summary>
public sealed partial class EntraCall(ClientRegistration client, string flow, string? region, TokenTelemetry telemetry, TimeProvider time)
{
    private Activity? _activity;
    private long _started;
    private volatile bool _completed;

    /// <summary>MSAL is about to send the request to <paramref name="endpoint"/>.</summary>
    public void Start(Uri endpoint)
    {
        if (_completed)
        {
            // MSAL's background refresh of a token it has already served: nothing of this call's.
            return;
        }

        _started = time.GetTimestamp();
        _activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.Entra", ActivityKind.Client);
        _activity?.SetTag("tokenfunctions.client", client.Name);
        _activity?.SetTag("tokenfunctions.flow", flow);
        _activity?.SetTag("tokenfunctions.region", region ?? "global");
        _activity?.SetTag("server.address", endpoint.Host);
    }

    /// <summary>MSAL's result, recorded when the request reached Entra.</summary>
    public async Task<AuthenticationResult> CompleteAsync(Task<AuthenticationResult> execution)
    {
        try
        {
            var result = await execution.ConfigureAwait(false);
            _completed = true;
            if (_started != 0)
            {
                Finish("success", result.CorrelationId.ToString(), result.Scopes.FirstOrDefault());
            }

            return result;
        }
        catch (Exception ex)
        {
            _completed = true;
            if (_started != 0)
            {
                Finish(ex is MsalServiceException service ? service.ErrorCode : ex.GetType().Name, (ex as MsalServiceException)?.CorrelationId, null);
            }

            throw;
        }
    }

    private void Finish(string outcome, string? correlationId, string? scope)
    {
        var elapsed = time.GetElapsedTime(_started);
        telemetry.EntraCall(client.Name, region, outcome, elapsed.TotalMilliseconds);
        LogEntraCall(client.Logger, client.Name, flow, scope is null ? "" : ScopeSet.Resource(scope), outcome, elapsed.TotalMilliseconds, region ?? "global", correlationId);
        if (_activity is { } activity)
        {
            activity.SetTag("tokenfunctions.outcome", outcome);
            activity.SetTag("tokenfunctions.correlation_id", correlationId);
            activity.SetStatus(outcome == "success" ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
            activity.Dispose();
        }
    }

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information,
        Message = "Entra call: client {Client}, flow {Flow}, resource {Resource}, outcome {Outcome}, {DurationMs} ms, region {Region}, correlation {CorrelationId}")]
    private static partial void LogEntraCall(ILogger logger, string client, string flow, string resource, string outcome, double durationMs, string region, string? correlationId);
}
