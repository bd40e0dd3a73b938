using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// A fake Azure Key Vault over HTTPS on loopback, reached through <see cref="LoopbackRouting"/> under a
/// real <c>*.vault.azure.net</c> name. It answers as the service does: a 401 bearer challenge naming
/// the tenant's authority, certificate bundles with versions, the list of a certificate's versions
/// (paged with <c>nextLink</c>), the managed secret holding the PFX or PEM (without the private key when
/// the certificate's policy makes it non-exportable), the certificate's key with its sign operation
/// (<see cref="FakeKeyVaultKeys"/>), and Key Vault's error shape. It accepts only bearer tokens the fake
/// Entra ID issued.
/// </summary>
public sealed class FakeKeyVault : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<StoredVersion>> _certificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _served = new();

    private FakeKeyVault(WebApplication app, string host, string tenant, Func<string, bool> acceptsToken)
    {
        _app = app;
        Host = host;
        Tenant = tenant;
        AcceptsToken = acceptsToken;
    }

    public string Host { get; }

    public string Tenant { get; }

    public Uri VaultUri => new($"https://{Host}/");

    public int Port { get; private set; }

    /// <summary>Which bearer tokens are valid (the fake Entra ID's, for the vault's audience).</summary>
    public Func<string, bool> AcceptsToken { get; }

    /// <summary>How long every authorized request waits before it is answered (a fixed round-trip time).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Awaited before an authorized request is answered: a gate the test controls.</summary>
    public Func<HttpRequest, CancellationToken, Task>? BeforeAnswer { get; set; }

    /// <summary>Return a response to replace the normal answer to an authorized request, or null.</summary>
    public Func<HttpRequest, FakeResponse?>? Fault { get; set; }

    /// <summary>Authorized requests served, as "GET /certificates/name/" lines.</summary>
    public IReadOnlyCollection<string> Served => _served;

    public static async Task<FakeKeyVault> StartAsync(string vaultName, string tenant, Func<string, bool> acceptsToken)
    {
        var app = LoopbackHost.Create();
        var vault = new FakeKeyVault(app, $"{vaultName}.vault.azure.net", tenant, acceptsToken);
        vault.MapEndpoints();
        await app.StartAsync();
        vault.Port = LoopbackHost.PortOf(app);
        return vault;
    }

    public LoopbackRouting Route(LoopbackRouting routing) => routing.Map(Host, Port);

    /// <summary>Versions a page of the versions list holds at most (the service's default and maximum is 25).</summary>
    public int VersionsPageSize { get; set; } = 25;

    /// <summary>Adds a new version (the latest from now on). The content type decides how the secret holds it.</summary>
    /// <param name="exportable">The policy's <c>key_props.exportable</c>: false keeps the private key out of the secret.</param>
    public string AddVersion(
        string name, X509Certificate2 certificate, bool enabled = true, string contentType = "application/x-pkcs12", bool withPrivateKey = true, bool exportable = true)
    {
        var version = Guid.NewGuid().ToString("N");
        var versions = _certificates.GetOrAdd(name, _ => []);
        lock (versions)
        {
            // The service stamps creation in whole seconds; a later version is created later.
            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (versions.Count > 0 && versions[^1].Created >= created)
            {
                created = versions[^1].Created + 1;
            }

            versions.Add(new StoredVersion(version, certificate, enabled, contentType, withPrivateKey, created, exportable));
        }

        return version;
    }

    /// <summary>Enables or disables one version (its certificate, key and secret together, as the service does).</summary>
    public void SetEnabled(string name, string version, bool enabled)
    {
        var versions = _certificates[name];
        lock (versions)
        {
            var index = versions.FindIndex(v => v.Version == version);
            versions[index] = versions[index] with { Enabled = enabled };
        }
    }

    /// <summary>Signatures made with a certificate's key (<c>POST /keys/{name}/{version}/sign</c>).</summary>
    public int Signs => _served.Count(s => s.StartsWith("POST /keys/", StringComparison.Ordinal) && s.EndsWith("/sign", StringComparison.Ordinal));

    /// <summary>Downloads served: one per certificate-secret fetch.</summary>
    public int SecretReads => _served.Count(s => s.StartsWith("GET /secrets/", StringComparison.Ordinal));

    /// <summary>Pages of a certificate's versions list served.</summary>
    public int VersionListings => _served.Count(s => s.StartsWith("GET /certificates/", StringComparison.Ordinal) && s.EndsWith("/versions", StringComparison.Ordinal));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private void MapEndpoints()
    {
        _app.Use(async (context, next) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !AcceptsToken(authorization["Bearer ".Length..]))
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate =
                    $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"https://vault.azure.net\"";
                await Error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.").WriteAsync(context);
                return;
            }

            _served.Enqueue($"{context.Request.Method} {context.Request.Path}");
            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, context.RequestAborted);
            }

            if (BeforeAnswer is { } before)
            {
                await before(context.Request, context.RequestAborted);
            }

            if (Fault?.Invoke(context.Request) is { } fault)
            {
                await fault.WriteAsync(context);
                return;
            }

            await next(context);
        });

        // A literal segment outranks a parameter, so ".../versions" is the list, never a version id.
        _app.MapGet("/certificates/{name}/versions", (string name, HttpRequest request) => ListVersions(name, request));

        _app.MapGet("/certificates/{name}/{version?}", (string name, string? version) =>
            Find(name, version) is { } stored ? Results.Json(CertificateBundle(name, stored)) : NotFoundResult("CertificateNotFound", $"A certificate with (name/id) {name} was not found in this key vault."));

        _app.MapGet("/secrets/{name}/{version}", async (string name, string version, HttpContext context) =>
        {
            if (Find(name, version) is not { } stored)
            {
                await NotFoundResponse("SecretNotFound", $"A secret with (name/id) {name}/{version} was not found in this key vault.").WriteAsync(context);
                return;
            }

            if (!stored.Enabled)
            {
                await new FakeResponse(HttpStatusCode.Forbidden, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["code"] = "Forbidden",
                        ["message"] = "Operation get is not allowed on a disabled secret.",
                        ["innererror"] = new JsonObject { ["code"] = "SecretDisabled" },
                    },
                }).WriteAsync(context);
                return;
            }

            await FakeResponse.Json(HttpStatusCode.OK, SecretBundle(name, stored)).WriteAsync(context);
        });

        FakeKeyVaultKeys.Map(_app, this);
    }

    /// <summary>A version of a certificate (null or empty: the latest), or null when there is none.</summary>
    internal StoredVersion? Find(string name, string? version)
    {
        if (!_certificates.TryGetValue(name, out var versions))
        {
            return null;
        }

        lock (versions)
        {
            return string.IsNullOrEmpty(version) ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.Version == version);
        }
    }

    /// <summary>
    /// Get Certificate Versions: <c>{"value": [CertificateItem...], "nextLink": ...}</c>, each item the
    /// version's <c>id</c>, <c>x5t</c> and <c>attributes</c>, without the certificate itself. The service
    /// promises no order; this one lists by version id, so a client must sort by <c>created</c> itself.
    /// </summary>
    private IResult ListVersions(string name, HttpRequest request)
    {
        if (!_certificates.TryGetValue(name, out var stored))
        {
            return NotFoundResult("CertificateNotFound", $"A certificate with (name/id) {name} was not found in this key vault.");
        }

        List<StoredVersion> all;
        lock (stored)
        {
            all = [.. stored.OrderBy(v => v.Version, StringComparer.Ordinal)];
        }

        var pageSize = int.TryParse(request.Query["maxresults"], out var asked) ? Math.Clamp(asked, 1, VersionsPageSize) : VersionsPageSize;
        var skip = int.TryParse(request.Query["$skiptoken"], out var token) ? token : 0;
        var page = new JsonArray([.. all.Skip(skip).Take(pageSize).Select(v => (JsonNode)new JsonObject
        {
            ["id"] = $"https://{Host}/certificates/{name}/{v.Version}",
            ["x5t"] = FakeEntraId.Base64Url(v.Certificate.GetCertHash()),
            ["attributes"] = Attributes(v),
            ["tags"] = new JsonObject(),
        })]);
        var next = skip + pageSize < all.Count
            ? $"https://{Host}/certificates/{name}/versions?api-version={request.Query["api-version"]}&$skiptoken={skip + pageSize}&maxresults={pageSize}"
            : null;
        return Results.Json(new JsonObject { ["value"] = page, ["nextLink"] = next });
    }

    private JsonObject CertificateBundle(string name, StoredVersion stored) => new()
    {
        ["id"] = $"https://{Host}/certificates/{name}/{stored.Version}",
        ["kid"] = $"https://{Host}/keys/{name}/{stored.Version}",
        ["sid"] = $"https://{Host}/secrets/{name}/{stored.Version}",
        ["x5t"] = FakeEntraId.Base64Url(stored.Certificate.GetCertHash()),
        ["cer"] = Convert.ToBase64String(stored.Certificate.RawData),
        ["attributes"] = Attributes(stored),
        ["policy"] = new JsonObject
        {
            ["id"] = $"https://{Host}/certificates/{name}/policy",
            ["key_props"] = new JsonObject { ["exportable"] = stored.Exportable, ["kty"] = "RSA", ["key_size"] = 2048, ["reuse_key"] = false },
            ["secret_props"] = new JsonObject { ["contentType"] = stored.ContentType },
            ["x509_props"] = new JsonObject { ["subject"] = stored.Certificate.Subject, ["validity_months"] = 12 },
            ["issuer"] = new JsonObject { ["name"] = "Self" },
            ["attributes"] = new JsonObject { ["enabled"] = true },
        },
    };

    private JsonObject SecretBundle(string name, StoredVersion stored) => new()
    {
        ["value"] = SecretValue(stored),
        ["contentType"] = stored.ContentType,
        ["id"] = $"https://{Host}/secrets/{name}/{stored.Version}",
        ["kid"] = $"https://{Host}/keys/{name}/{stored.Version}",
        ["managed"] = true,
        ["attributes"] = Attributes(stored),
    };

    /// <summary>The secret's value: the certificate, with its private key only when it has one and the policy lets it out.</summary>
    private static string SecretValue(StoredVersion stored)
    {
        var withKey = stored.WithPrivateKey && stored.Exportable;
        var certificate = withKey ? stored.Certificate : X509CertificateLoader.LoadCertificate(stored.Certificate.RawData);
        return stored.ContentType switch
        {
            "application/x-pkcs12" => Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12)),
            "application/x-pem-file" => certificate.ExportCertificatePem() +
                                        (withKey ? "\n" + stored.Certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() : ""),
            _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)),
        };
    }

    internal static JsonObject Attributes(StoredVersion stored) => new()
    {
        ["enabled"] = stored.Enabled,
        ["nbf"] = new DateTimeOffset(stored.Certificate.NotBefore.ToUniversalTime()).ToUnixTimeSeconds(),
        ["exp"] = new DateTimeOffset(stored.Certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
        ["created"] = stored.Created,
        ["updated"] = stored.Created,
        ["recoveryLevel"] = "Recoverable+Purgeable",
    };

    private static FakeResponse Error(string code, string message) =>
        new(HttpStatusCode.Unauthorized, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private static IResult NotFoundResult(string code, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, statusCode: 404);

    private static FakeResponse NotFoundResponse(string code, string message) =>
        new(HttpStatusCode.NotFound, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    internal sealed record StoredVersion(string Version, X509Certificate2 Certificate, bool Enabled, string ContentType, bool WithPrivateKey, long Created, bool Exportable);
}
