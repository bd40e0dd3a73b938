namespace TokenFunctions.Tokens;

/// <summary>
/// An OAuth-style failure. Fields Entra sent (<c>error_codes</c>, <c>suberror</c>, <c>claims</c>,
/// <c>correlation_id</c>) are passed through as they came; nothing here may carry a credential.
/// </summary>
public sealed record TokenError(
    TokenErrorKind Kind,
    string Error,
    string Description)
{
    public IReadOnlyList<long>? ErrorCodes { get; init; }

    public string? CorrelationId { get; init; }

    public string? SubError { get; init; }

    public string? Claims { get; init; }

    public TimeSpan? RetryAfter { get; init; }

    public static TokenError InvalidRequest(string description) =>
        new(TokenErrorKind.InvalidRequest, "invalid_request", description);

    /// <summary>
    /// Says how to configure the client, because a first run (the sample settings configure none)
    /// lands here: the settings a client needs, named as an operator writes them.
    /// </summary>
    public static TokenError UnknownClient(string client)
    {
        var prefix = ClientName.IsValid(client) ? $"Clients__{client}__" : "Clients__{name}__";
        return new(
            TokenErrorKind.UnknownClient,
            "invalid_client",
            $"No client named '{client}' is configured. Configure it with {prefix}ClientId, {prefix}Authority and one credential: " +
            $"{prefix}Certificate__KeyVaultUri with {prefix}Certificate__Name, {prefix}Certificate__Path, {prefix}ClientSecret, or {prefix}ManagedIdentityAssertion__Enabled=true.");
    }
}
