namespace TokenFunctions.Credentials;

/// <summary>
/// Supplies a signed client assertion for a client whose private key the worker never holds: one
/// signed inside Key Vault, or a token of the app's managed identity trusted as a federated credential.
/// MSAL asks for one before every call to Entra, so a source reuses what it can and loads lazily; it
/// throws <see cref="ClientCredentialUnavailableException"/> when it cannot supply one.
/// </summary>
public interface IClientAssertionSource
{
    /// <summary>Where the assertion comes from, for messages and health: never secret.</summary>
    string Description { get; }

    /// <summary>What the source knows of its credential now, without loading it.</summary>
    CredentialStatus Status { get; }

    /// <summary>
    /// An assertion for a call to <paramref name="tokenEndpoint"/>, the endpoint MSAL is about to call
    /// (a certificate assertion's audience: the regional and the global endpoints differ).
    /// </summary>
    ValueTask<ClientAssertion> GetAssertionAsync(string tokenEndpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Entra refused an assertion of this source, signed by <paramref name="refusedSigner"/> (its
    /// <see cref="ClientAssertion.SignedBy"/>; null: unknown): forget what is reused and look for a newer
    /// credential. True when a retry may succeed (the credential changed, also when it had changed
    /// already since that assertion was signed); false when there is nothing else.
    /// </summary>
    Task<bool> ReloadAfterRejectionAsync(string? refusedSigner, CancellationToken cancellationToken);
}

/// <summary>
/// A client assertion and what signed it (a key id; null where the source has one credential only),
/// so that a refusal names the key refused even after a rotation. Never logged, never shown.
/// </summary>
public sealed record ClientAssertion(string Value, string? SignedBy)
{
    public override string ToString() => $"client assertion signed by {SignedBy ?? "the source's credential"}";
}
