using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// The keys API of <see cref="FakeKeyVault"/> for a certificate's managed key, as the service answers it:
/// <c>GET /keys/{name}[/{version}]</c> (the KeyBundle: a JWK with only the public <c>n</c>/<c>e</c>,
/// <c>key_ops</c>, <c>kid</c>, attributes) and <c>POST /keys/{name}/{version}/sign</c> with
/// <c>{"alg","value"}</c> — the value a base64url digest of the length the algorithm's hash has, never the
/// data — answered with <c>{"kid","value"}</c>, signed with the key the vault holds. A disabled version
/// refuses to sign, as the service does.
/// </summary>
internal static class FakeKeyVaultKeys
{
    private static readonly Dictionary<string, (int DigestLength, HashAlgorithmName Hash, RSASignaturePadding Padding)> RsaAlgorithms = new(StringComparer.Ordinal)
    {
        ["RS256"] = (32, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ["RS384"] = (48, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
        ["RS512"] = (64, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
        ["PS256"] = (32, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
        ["PS384"] = (48, HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
        ["PS512"] = (64, HashAlgorithmName.SHA512, RSASignaturePadding.Pss),
    };

    public static void Map(WebApplication app, FakeKeyVault vault)
    {
        app.MapGet("/keys/{name}/{version?}", async (string name, string? version, HttpContext context) =>
        {
            if (vault.Find(name, version) is not { } stored)
            {
                await KeyNotFound(name, version).WriteAsync(context);
                return;
            }

            using var rsa = stored.Certificate.GetRSAPublicKey()!;
            var parameters = rsa.ExportParameters(includePrivateParameters: false);
            var attributes = FakeKeyVault.Attributes(stored);
            attributes["exportable"] = stored.Exportable;
            await FakeResponse.Json(HttpStatusCode.OK, new JsonObject
            {
                ["key"] = new JsonObject
                {
                    ["kid"] = KeyId(vault, name, stored),
                    ["kty"] = "RSA",
                    ["key_ops"] = new JsonArray("sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"),
                    ["n"] = FakeEntraId.Base64Url(parameters.Modulus!),
                    ["e"] = FakeEntraId.Base64Url(parameters.Exponent!),
                },
                ["attributes"] = attributes,
                ["managed"] = true,
            }).WriteAsync(context);
        });

        app.MapPost("/keys/{name}/{version}/sign", async (string name, string version, HttpContext context) =>
            await Sign(vault, name, version, await JsonNode.ParseAsync(context.Request.Body) as JsonObject).WriteAsync(context));
    }

    private static FakeResponse Sign(FakeKeyVault vault, string name, string version, JsonObject? body)
    {
        if (vault.Find(name, version) is not { } stored || stored.Version != version)
        {
            return KeyNotFound(name, version);
        }

        if (!stored.Enabled)
        {
            return Error(HttpStatusCode.Forbidden, "Forbidden", "Operation sign is not allowed on a disabled key.", "KeyDisabled");
        }

        var algorithm = body?["alg"]?.GetValue<string>();
        if (algorithm is null || !RsaAlgorithms.TryGetValue(algorithm, out var rsaAlgorithm))
        {
            return Error(HttpStatusCode.BadRequest, "BadParameter", $"Key and signing algorithm are incompatible: '{algorithm}' on an RSA key.");
        }

        byte[] digest;
        try
        {
            digest = System.Buffers.Text.Base64Url.DecodeFromChars(body!["value"]?.GetValue<string>() ?? "");
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            return Error(HttpStatusCode.BadRequest, "BadParameter", "Property 'value' is not valid base64url.");
        }

        if (digest.Length != rsaAlgorithm.DigestLength)
        {
            return Error(HttpStatusCode.BadRequest, "BadParameter", $"Invalid length of 'value': {digest.Length}; {algorithm} signs a {rsaAlgorithm.DigestLength}-byte digest.");
        }

        using var key = stored.Certificate.GetRSAPrivateKey()!;
        return FakeResponse.Json(HttpStatusCode.OK, new JsonObject
        {
            ["kid"] = KeyId(vault, name, stored),
            ["value"] = FakeEntraId.Base64Url(key.SignHash(digest, rsaAlgorithm.Hash, rsaAlgorithm.Padding)),
        });
    }

    private static string KeyId(FakeKeyVault vault, string name, FakeKeyVault.StoredVersion stored) => $"https://{vault.Host}/keys/{name}/{stored.Version}";

    private static FakeResponse KeyNotFound(string name, string? version) =>
        Error(HttpStatusCode.NotFound, "KeyNotFound", $"A key with (name/id) {name}{(version is null ? "" : "/" + version)} was not found in this key vault.");

    private static FakeResponse Error(HttpStatusCode status, string code, string message, string? inner = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (inner is not null)
        {
            error["innererror"] = new JsonObject { ["code"] = inner };
        }

        return new FakeResponse(status, new JsonObject { ["error"] = error });
    }
}
