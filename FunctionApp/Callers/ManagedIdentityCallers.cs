using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Telemetry;
using TokenFunctions.Tokens;

namespace TokenFunctions.Callers;

/// <summary>
/// Who may call a client's managed-identity endpoint: a caller is known by the secret it sends in
/// <c>X-IDENTITY-HEADER</c>, checked in constant time against the SHA-256 of every configured caller
/// (several at once, for rotation), and may ask only for its own resources, compared as Entra compares
/// them (case-insensitive). The header's value is never kept, logged or measured.
/// </summary>
public sealed partial class ManagedIdentityCallers
{
    private readonly Dictionary<string, Caller[]> _callers = new(StringComparer.OrdinalIgnoreCase);
    private readonly HeaderFailureLimit _limit;
    private readonly TokenTelemetry _telemetry;
    private readonly ILogger<ManagedIdentityCallers> _logger;

    public ManagedIdentityCallers(
        IOptions<ManagedIdentityOptions> options, HeaderFailureLimit limit, TokenTelemetry telemetry, ILogger<ManagedIdentityCallers> logger)
    {
        foreach (var (client, settings) in options.Value.Clients.Where(c => c.Value.ManagedIdentityCallers.Count > 0))
        {
            _callers[client] = settings.ManagedIdentityCallers
                .Select(c => new Caller(c.Name, Convert.FromHexString(c.SecretSha256), c.Resources.ToHashSet(ScopeRules.Entra.Comparer)))
                .ToArray();
        }

        _limit = limit;
        _telemetry = telemetry;
        _logger = logger;
    }

    /// <summary>Whether <paramref name="client"/> serves the managed-identity protocol at all.</summary>
    public bool Serves(string client) => _callers.ContainsKey(client);

    /// <summary>
    /// The caller whose secret <paramref name="header"/> is, or the 401 (429 past the failure limit) to
    /// answer. <paramref name="callerAddress"/> is for the warning only.
    /// </summary>
    public ManagedIdentityAuthentication Authenticate(string client, string? header, string callerAddress)
    {
        var callers = _callers[client];
        if (!string.IsNullOrEmpty(header))
        {
            var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header));
            Caller? match = null;

            // Every hash is compared, matched or not, so the time taken says nothing about which one matched.
            foreach (var caller in callers)
            {
                if (CryptographicOperations.FixedTimeEquals(presented, caller.SecretSha256))
                {
                    match = caller;
                }
            }

            if (match is not null)
            {
                return new ManagedIdentityAuthentication(new ManagedIdentityCaller(client, match.Name, match.Resources), null);
            }
        }

        var reason = string.IsNullOrEmpty(header) ? "missing" : "wrong";
        _telemetry.IdentityHeaderFailure(client, reason);
        var retryAfter = _limit.RecordFailure(client, out var limitReached);
        if (retryAfter is { } wait)
        {
            if (limitReached)
            {
                FailureLimitReached(_logger, client, HeaderFailureLimit.FailuresPerWindow, callerAddress);
            }

            return new ManagedIdentityAuthentication(null, new TokenError(TokenErrorKind.Throttled, "too_many_requests",
                $"Too many failed identity-header checks for client '{client}'; retry later.") { RetryAfter = wait });
        }

        HeaderRefused(_logger, client, reason, callerAddress);
        return new ManagedIdentityAuthentication(null, new TokenError(TokenErrorKind.Unauthenticated, "invalid_client",
            $"The X-IDENTITY-HEADER is {reason}: set IDENTITY_HEADER to a secret configured for client '{client}'."));
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Managed-identity request for client {Client} refused: identity header {Reason}, caller address {CallerAddress}")]
    private static partial void HeaderRefused(ILogger logger, string client, string reason, string callerAddress);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Managed-identity requests for client {Client} failed the identity-header check more than {Limit} times this minute; further failures answer 429 (last caller address {CallerAddress})")]
    private static partial void FailureLimitReached(ILogger logger, string client, int limit, string callerAddress);

    private sealed record Caller(string Name, byte[] SecretSha256, HashSet<string> Resources);
}
