using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using Microsoft.Identity.Client.Extensibility;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>
/// Builds a client's MSAL applications from its settings, each bound to one Table row — the one place
/// where an application meets its cache. MSAL speaks the protocol; this only configures it.
/// </summary>
public sealed class MsalApplicationFactory(IHttpClientFactory httpClients, TokenCacheTable table, TimeProvider time, ILoggerFactory loggers)
{
    private int _built;

    /// <summary>MSAL applications built so far: a token served straight from the Table builds none.</summary>
    public int ApplicationsBuilt => Volatile.Read(ref _built);

    /// <summary>
    /// An application for one resource's app tokens, acquired under removal <paramref name="generation"/>;
    /// with a region, one that sends its requests there.
    /// </summary>
    public BoundApplication ForResource(ClientRegistration client, CacheEntryKey row, string? region, ClientRemovals removals, long generation)
    {
        var application = Create(client, region);
        var binding = new TableCacheBinding(table, row, client.Logger, expiresNoLaterThan: null, removals, generation);
        binding.Attach(application.AppTokenCache);
        return new BoundApplication(application, binding, region);
    }

    /// <summary>
    /// A short-lived application for one user assertion's on-behalf-of tokens, bound to that assertion's
    /// row only (no user's tokens share an in-memory cache with another's), never kept in the Table past
    /// <paramref name="assertionExpiry"/>. Always global: Entra has no regional on-behalf-of.
    /// </summary>
    public BoundApplication ForUserAssertion(ClientRegistration client, CacheEntryKey row, DateTimeOffset? assertionExpiry)
    {
        var application = Create(client, region: null);
        var binding = new TableCacheBinding(table, row, client.Logger, assertionExpiry);
        binding.Attach(application.UserTokenCache);
        return new BoundApplication(application, binding, Region: null);
    }

    private IConfidentialClientApplication Create(ClientRegistration client, string? region)
    {
        Interlocked.Increment(ref _built);
        var options = client.Options;
        var http = new MsalHttpClientFactory(httpClients, EntraHttpOptions.ClientName);
        var builder = ConfidentialClientApplicationBuilder.Create(options.ClientId)
            // A regional 5xx fails over to the global endpoint at once; MSAL's own retry (a second after)
            // would only spend the request budget on the same failing region.
            .WithHttpClientFactory(http, retryOnceOn5xx: region is null)
            .WithLogging(new MsalLogBridge(loggers.CreateLogger($"TokenFunctions.Msal.{client.Name}")), options.EnablePiiLog)
            // Needed for the certificate provider overload, which lets MSAL ask for the
            // certificate only when it must call Entra (and again after a rotation).
            .WithExperimentalFeatures(true);

        builder = options.OidcAuthority is { Length: > 0 } oidc
            ? builder.WithOidcAuthority(oidc)
            : builder.WithAuthority(options.Authority, options.ValidateAuthority).WithInstanceDiscovery(options.InstanceDiscovery);

        if (!string.IsNullOrEmpty(options.AppName))
        {
            builder = builder.WithClientName(options.AppName);
        }

        if (!string.IsNullOrEmpty(options.AppVersion))
        {
            builder = builder.WithClientVersion(options.AppVersion);
        }

        if (options.ClientCapabilities.Count > 0)
        {
            // MSAL merges them into the claims of every request, as xms_cc.
            builder = builder.WithClientCapabilities(options.ClientCapabilities);
        }

        if (region is not null)
        {
            // Named explicitly (resolved by RegionResolver), so MSAL never probes IMDS itself.
            builder = builder.WithAzureRegion(region);
        }

        return WithCredential(builder, client).Build();
    }

    private ConfidentialClientApplicationBuilder WithCredential(ConfidentialClientApplicationBuilder builder, ClientRegistration client)
    {
        if (client.Assertions is { } assertions)
        {
            return builder.WithClientAssertion(async (AssertionRequestOptions request) => AcquisitionCredential.Note(await AcquisitionCredential.LoadAsync(
                assertions.Description, () => assertions.GetAssertionAsync(request.TokenEndpoint, request.CancellationToken).AsTask()).ConfigureAwait(false)));
        }

        if (client.Certificates is not { } certificates)
        {
            return builder.WithClientSecret(client.Options.ClientSecret!);
        }

        if (client.Options.OidcAuthority is { Length: > 0 })
        {
            var clientId = client.Options.ClientId;
            return builder.WithClientAssertion(async (AssertionRequestOptions request) =>
            {
                var certificate = AcquisitionCredential.Note(await LoadAsync(certificates, request.CancellationToken).ConfigureAwait(false));
                return Rfc7523ClientAssertion.Create(certificate, clientId, request.TokenEndpoint, time);
            });
        }

        return builder.WithCertificate(
            async request => AcquisitionCredential.Note(await LoadAsync(certificates, request.CancellationToken).ConfigureAwait(false)),
            new CertificateOptions { SendX5C = client.Options.Certificate?.SendX5c ?? false });
    }

    private static Task<X509Certificate2> LoadAsync(ICertificateSource certificates, CancellationToken cancellationToken) =>
        AcquisitionCredential.LoadAsync(certificates.Description, () => certificates.GetCertificateAsync(cancellationToken).AsTask());
}
