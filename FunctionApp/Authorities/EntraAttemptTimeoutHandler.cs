namespace TokenFunctions.Authorities;

/// <summary>
/// Sits in front of the network on MSAL's HttpClients and times each exchange with Entra (request sent,
/// response read) against the current <see cref="EntraAttempt"/>. Inside the persisted instance
/// discovery, so a discovery answer served from the Table is not timed either.
/// </summary>
public sealed class EntraAttemptTimeoutHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var exchange = EntraAttempt.TimeExchange();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
