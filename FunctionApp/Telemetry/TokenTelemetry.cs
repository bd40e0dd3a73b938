using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TokenFunctions.Telemetry;

/// <summary>
/// The broker's metrics (one <see cref="Meter"/>) and traces (one <see cref="ActivitySource"/>), both
/// named <c>TokenFunctions</c>, so any OpenTelemetry listener picks them up. Tags are client names,
/// flows, layers, regions and outcomes: never a token, an assertion, a secret or a caller's principal.
/// </summary>
public sealed class TokenTelemetry
{
    public const string Name = "TokenFunctions";

    /// <summary>Shared by every instance: activities are process-wide, their parents say whose they are.</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _tokenRequests;
    private readonly Counter<long> _cacheResults;
    private readonly Counter<long> _tableOperations;

    // Created when first used: a new instance whose first token comes from the Table records none of
    // these, and each instrument costs about 430 bytes (more where a listener sets up its streams).
    // Listeners see an instrument when it is created; the meter returns the same one to racing callers.
    private Counter<long>? _entraCalls;
    private Histogram<double>? _entraDuration;
    private Counter<long>? _keyVaultOperations;
    private Counter<long>? _circuitChanges;
    private Counter<long>? _throttled;
    private Counter<long>? _prewarmTargets;
    private Counter<long>? _prewarmRuns;
    private Counter<long>? _unhandledExceptions;
    private Counter<long>? _identityHeaderFailures;

    public TokenTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        _tokenRequests = Meter.CreateCounter<long>("tokenfunctions.token.requests", "{request}", "Token requests by client, flow and outcome.");
        _cacheResults = Meter.CreateCounter<long>("tokenfunctions.cache.results", "{lookup}", "Where a token request was answered: front, msal (memory), table, or miss (Entra).");
        _tableOperations = Meter.CreateCounter<long>("tokenfunctions.table.operations", "{operation}", "Token cache Table operations by kind and outcome.");
    }

    private Counter<long> EntraCalls => _entraCalls ??=
        Meter.CreateCounter<long>("tokenfunctions.entra.calls", "{call}", "Calls to Entra by client, endpoint (regional/global), region and outcome.");

    private Histogram<double> EntraDuration => _entraDuration ??=
        Meter.CreateHistogram<double>("tokenfunctions.entra.duration", "ms", "Duration of calls to Entra.");

    private Counter<long> KeyVaultOperations => _keyVaultOperations ??=
        Meter.CreateCounter<long>("tokenfunctions.keyvault.operations", "{operation}", "Certificate loads and rotations from Key Vault by outcome.");

    private Counter<long> CircuitChanges => _circuitChanges ??=
        Meter.CreateCounter<long>("tokenfunctions.region.circuit.changes", "{change}", "Regional circuit state changes by client and new state.");

    private Counter<long> ThrottledResponses => _throttled ??=
        Meter.CreateCounter<long>("tokenfunctions.throttled", "{response}", "Requests answered 429 because Entra throttles the client.");

    private Counter<long> PrewarmTargets => _prewarmTargets ??=
        Meter.CreateCounter<long>("tokenfunctions.prewarm.targets", "{target}", "Pre-warm targets by outcome (refreshed, fresh, failed).");

    private Counter<long> PrewarmRuns => _prewarmRuns ??=
        Meter.CreateCounter<long>("tokenfunctions.prewarm.runs", "{run}", "Pre-warm runs.");

    private Counter<long> UnhandledExceptions => _unhandledExceptions ??=
        Meter.CreateCounter<long>("tokenfunctions.unhandled_exceptions", "{exception}", "Exceptions no function handled, by function: a bug to look at, never a caller's doing.");

    private Counter<long> IdentityHeaderFailures => _identityHeaderFailures ??=
        Meter.CreateCounter<long>("tokenfunctions.managed_identity.header_failures", "{request}", "Managed-identity requests whose X-IDENTITY-HEADER was missing or wrong, by client and reason.");

    /// <summary>This instance's meter (tests listen to it alone).</summary>
    public Meter Meter { get; }

    public void TokenRequest(string client, string flow, string outcome) =>
        _tokenRequests.Add(1, new("client", client), new("flow", flow), new("outcome", outcome));

    public void CacheResult(string client, string layer) =>
        _cacheResults.Add(1, new("client", client), new("layer", layer));

    public void EntraCall(string client, string? region, string outcome, double milliseconds)
    {
        // A global call's region reads "global", as on the activity and the log line, rather than an
        // empty dimension value that Azure Monitor's charts and filters show as blank.
        var tags = new TagList { { "client", client }, { "endpoint", region is null ? "global" : "regional" }, { "region", region ?? "global" }, { "outcome", outcome } };
        EntraCalls.Add(1, tags);
        EntraDuration.Record(milliseconds, tags);
    }

    public void TableOperation(string operation, string outcome) =>
        _tableOperations.Add(1, new("operation", operation), new("outcome", outcome));

    public void KeyVaultOperation(string client, string operation, string outcome) =>
        KeyVaultOperations.Add(1, new("client", client), new("operation", operation), new("outcome", outcome));

    public void CircuitChanged(string client, string state) =>
        CircuitChanges.Add(1, new("client", client), new("state", state));

    public void Throttled(string client) => ThrottledResponses.Add(1, new KeyValuePair<string, object?>("client", client));

    /// <summary>A failed identity-header check; <paramref name="reason"/> is <c>missing</c> or <c>wrong</c>, never the header.</summary>
    public void IdentityHeaderFailure(string client, string reason) =>
        IdentityHeaderFailures.Add(1, new("client", client), new("reason", reason));

    public void UnhandledException(string function) => UnhandledExceptions.Add(1, new KeyValuePair<string, object?>("function", function));

    public void PrewarmRun(int refreshed, int fresh, int failed)
    {
        PrewarmRuns.Add(1);
        PrewarmTargets.Add(refreshed, new KeyValuePair<string, object?>("outcome", "refreshed"));
        PrewarmTargets.Add(fresh, new KeyValuePair<string, object?>("outcome", "fresh"));
        PrewarmTargets.Add(failed, new KeyValuePair<string, object?>("outcome", "failed"));
    }
}
