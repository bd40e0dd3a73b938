using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using Microsoft.Identity.Client.Extensibility;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>Builds the MSAL application of one client from its options; MSAL speaks the protocol.</summary>
internal sealed class MsalApplicationFactory(IMsalHttpClientFactory httpClients, ILoggerFactory loggers)
{
    public IConfidentialClientApplication Create(string clientName, ConfidentialClientOptions options, ICertificateSource? certificates)
    {
        var builder = ConfidentialClientApplicationBuilder.Create(options.ClientId)
            .WithHttpClientFactory(httpClients)
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

        if (certificates is not null)
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
