using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using Microsoft.Identity.Client.Extensibility;
using TokenFunctions.Authorities;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>Builds the MSAL application of one client from its options; MSAL speaks the protocol.</summary>
internal sealed class MsalApplicationFactory(IHttpClientFactory httpClients, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>An MSAL application for one client; with a region, one that sends its requests there.</summary>
    public IConfidentialClientApplication Create(string clientName, ConfidentialClientOptions options, ICertificateSource? certificates, string? region)
    {
        var http = new MsalHttpClientFactory(httpClients, region is null ? EntraHttpOptions.ClientName : EntraHttpOptions.RegionalClientName);
        var builder = ConfidentialClientApplicationBuilder.Create(options.ClientId)
            .WithHttpClientFactory(http)
            .WithLogging(new MsalLogBridge(loggers.CreateLogger($"TokenFunctions.Msal.{clientName}")), options.EnablePiiLog)
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

        if (certificates is not null && options.OidcAuthority is { Length: > 0 })
        {
            var clientId = options.ClientId;
            builder = builder.WithClientAssertion(async (AssertionRequestOptions request) =>
            {
                var certificate = await certificates.GetCertificateAsync(request.CancellationToken).ConfigureAwait(false);
                return Rfc7523ClientAssertion.Create(certificate, clientId, request.TokenEndpoint, time);
            });
        }
        else if (certificates is not null)
        {
            builder = builder.WithCertificate(
                async request => await certificates.GetCertificateAsync(request.CancellationToken).ConfigureAwait(false),
                new CertificateOptions { SendX5C = options.Certificate?.SendX5c ?? false });
        }
        else
        {
            builder = builder.WithClientSecret(options.ClientSecret!);
        }

        return builder.Build();
    }
}
