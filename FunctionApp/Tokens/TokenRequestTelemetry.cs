using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Tokens;

/// <summary>
/// One client's token requests as telemetry sees them: the request activity, the per-request and
/// per-layer counters, and a debug line per miss. A front-cache hit costs two counter increments and an
/// activity only when someone listens.
/// </summary>
public sealed partial class TokenRequestTelemetry(ClientRegistration client, TokenTelemetry telemetry, TimeProvider time)
{
    public const string ClientCredentials = "client_credentials";
    public const string OnBehalfOf = "on_behalf_of";

    public void FrontCacheHit(string flow, IReadOnlyList<string> scopes)
    {
        telemetry.CacheResult(client.Name, "front");
        telemetry.TokenRequest(client.Name, flow, "success");
        if (TokenTelemetry.ActivitySource.HasListeners())
        {
            using var activity = StartActivity(flow, scopes);
            activity?.SetTag("tokenfunctions.token_source", "cache");
        }
    }

    /// <summary>Where a miss was answered: <c>msal</c> (its memory), <c>table</c>, or <c>miss</c> (Entra).</summary>
    public void CacheResult(string layer) => telemetry.CacheResult(client.Name, layer);

    /// <summary>The request activity, the per-request metric and the debug line around one cache miss.</summary>
    public async Task<TokenResult> ObserveAsync(string flow, IReadOnlyList<string> scopes, Func<Task<TokenResult>> acquire)
    {
        using var activity = StartActivity(flow, scopes);
        var started = time.GetTimestamp();
        var result = await acquire().ConfigureAwait(false);
        var outcome = result.Succeeded ? "success" : result.Error.Error;
        telemetry.TokenRequest(client.Name, flow, outcome);
        activity?.SetTag("tokenfunctions.outcome", outcome);
        activity?.SetTag("tokenfunctions.token_source", result.Token?.Source == TokenSource.Cache ? "cache" : "identity_provider");
        if (!result.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Error.Error);
            activity?.SetTag("tokenfunctions.correlation_id", result.Error.CorrelationId);
        }

        if (client.Logger.IsEnabled(LogLevel.Debug))
        {
            var resource = ScopeSet.Resource(scopes[0]);
            var milliseconds = time.GetElapsedTime(started).TotalMilliseconds;
            LogTokenRequest(client.Logger, client.Name, flow, resource, outcome, milliseconds);
        }

        return result;
    }

    private Activity? StartActivity(string flow, IReadOnlyList<string> scopes)
    {
        var activity = TokenTelemetry.ActivitySource.StartActivity("TokenFunctions.AcquireToken");
        activity?.SetTag("tokenfunctions.client", client.Name);
        activity?.SetTag("tokenfunctions.flow", flow);
        activity?.SetTag("tokenfunctions.resource", ScopeSet.Resource(scopes[0]));
        return activity;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug,
        Message = "Token request: client {Client}, flow {Flow}, resource {Resource}, outcome {Outcome}, {DurationMs} ms")]
    private static partial void LogTokenRequest(ILogger logger, string client, string flow, string resource, string outcome, double durationMs);
}
