using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TokenFunctions.Tests.Fakes;

/// <summary>A client assertion as the fake reads it off the wire: header, claims, signature.</summary>
public sealed class AssertionJwt
{
    private readonly string _signedPart;
    private readonly byte[] _signature;

    private AssertionJwt(JsonElement header, JsonElement payload, string signedPart, byte[] signature)
    {
        HeaderJson = header;
        PayloadJson = payload;
        _signedPart = signedPart;
        _signature = signature;
    }

    public JsonElement HeaderJson { get; }

    public JsonElement PayloadJson { get; }

    public static AssertionJwt? TryParse(string? jwt)
    {
        if (jwt is null || jwt.Split('.') is not [var header, var payload, var signature])
        {
            return null;
        }

        try
        {
            return new AssertionJwt(
                JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(header)).RootElement.Clone(),
                JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(payload)).RootElement.Clone(),
                $"{header}.{payload}",
                System.Buffers.Text.Base64Url.DecodeFromChars(signature));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    public string? Header(string name) =>
        HeaderJson.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string? Claim(string name) =>
        PayloadJson.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A NumericDate claim; only a JSON number counts, as RFC 7519 requires.</summary>
    public long? NumericClaim(string name) =>
        PayloadJson.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    /// <summary>A NumericDate claim as Entra accepts it: a JSON number or a string of digits.</summary>
    public long? LenientNumericClaim(string name) =>
        NumericClaim(name) ?? (long.TryParse(Claim(name), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null);

    public bool VerifySignature(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            return false;
        }

        var padding = Header("alg") switch
        {
            "PS256" => RSASignaturePadding.Pss,
            "RS256" => RSASignaturePadding.Pkcs1,
            _ => null,
        };
        return padding is not null && rsa.VerifyData(Encoding.ASCII.GetBytes(_signedPart), _signature, HashAlgorithmName.SHA256, padding);
    }
}
