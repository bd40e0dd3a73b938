using Microsoft.Extensions.Logging;
using TokenFunctions.Credentials;

namespace TokenFunctions.Tokens;

/// <summary>
/// One configured app registration as every part of its client sees it: its name (the
/// <c>{client}</c> of the routes), its settings, where its certificate comes from (null for a client
/// secret), and the logger its lines go to.
/// </summary>
public sealed record ClientRegistration(string Name, ConfidentialClientOptions Options, ICertificateSource? Certificates, ILogger Logger);
