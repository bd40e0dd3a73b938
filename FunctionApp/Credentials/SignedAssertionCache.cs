using System.Collections.Concurrent;

namespace TokenFunctions.Credentials;

/// <summary>
/// Signed client assertions by token endpoint (an assertion's audience: the regional and the global
/// endpoints differ), each reused until <see cref="RenewBefore"/> its expiry and while the key that
/// signed it is still the current one. MSAL asks for an assertion
/// before every call to Entra, and a remote signature costs a round trip and counts against the vault's
/// throttle, so a busy client signs about once per endpoint every eight minutes. Concurrent misses for
/// one endpoint share one signing; a failed signing is not remembered (the next caller tries again).
/// </summary>
internal sealed class SignedAssertionCache(TimeProvider time)
{
    /// <summary>
    /// How long before its expiry an assertion is replaced: room for a request that carries it to reach
    /// Entra, and for a clock of Entra's a little ahead of this one.
    /// </summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, Lazy<Task<SignedAssertion>>> _assertions = new(StringComparer.Ordinal);

    /// <param name="currentKey">The key id assertions must be signed with (null: none known yet, any will do).</param>
    public ValueTask<SignedAssertion> GetAsync(string endpoint, string? currentKey, Func<string, Task<SignedAssertion>> sign, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_assertions.TryGetValue(endpoint, out var entry))
            {
                Lazy<Task<SignedAssertion>>? created = null;
                created = new Lazy<Task<SignedAssertion>>(() => SignAsync(endpoint, created!, sign));
                entry = _assertions.GetOrAdd(endpoint, created);
            }

            var signing = entry.Value;
            if (!signing.IsCompletedSuccessfully)
            {
                return new ValueTask<SignedAssertion>(signing.WaitAsync(cancellationToken));
            }

            var assertion = signing.Result;
            if ((currentKey is null || assertion.KeyId == currentKey) && time.GetUtcNow() < assertion.ExpiresOn - RenewBefore)
            {
                return new ValueTask<SignedAssertion>(assertion);
            }

            // Due, or signed with a key since replaced: the first caller to notice replaces it; the others find the replacement.
            _assertions.TryRemove(KeyValuePair.Create(endpoint, entry));
        }
    }

    /// <summary>Forgets every assertion: Entra refused one, and no other key is there to sign instead.</summary>
    public void Clear() => _assertions.Clear();

    private async Task<SignedAssertion> SignAsync(string endpoint, Lazy<Task<SignedAssertion>> entry, Func<string, Task<SignedAssertion>> sign)
    {
        // Off the first caller's stack, and bound to no caller's cancellation: every waiter shares it.
        await Task.Yield();
        try
        {
            return await sign(endpoint).ConfigureAwait(false);
        }
        catch
        {
            _assertions.TryRemove(KeyValuePair.Create(endpoint, entry));
            throw;
        }
    }
}

/// <summary>A signed client assertion, when it expires and which key signed it: never logged, never shown.</summary>
internal sealed record SignedAssertion(string Jwt, DateTimeOffset ExpiresOn, string KeyId)
{
    public override string ToString() => $"assertion expiring {ExpiresOn:u}, signed by {KeyId}";
}
