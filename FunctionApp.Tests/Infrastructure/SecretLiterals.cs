using System.Text.RegularExpressions;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>Finds what looks like a credential written into a file: keys, connection strings, SAS, passwords.</summary>
internal static partial class SecretLiterals
{
    public static IEnumerable<string> Find(string text)
    {
        foreach (var (name, pattern) in Patterns)
        {
            foreach (Match match in pattern.Matches(text))
            {
                if (name == "a base64 32-byte key" && !IsKey(match.Value))
                {
                    continue;
                }

                yield return $"{name}: {Redact(match.Value)}";
            }
        }
    }

    private static readonly (string Name, Regex Pattern)[] Patterns =
    [
        ("a storage account key", AccountKey()),
        ("a shared access signature", SharedAccessSignature()),
        ("a connection string", ConnectionString()),
        ("an instrumentation key", InstrumentationKey()),
        ("a private key", PrivateKey()),
        ("a base64 32-byte key", Base64Key()),
        ("a password or secret value", SecretAssignment()),
    ];

    private static bool IsKey(string base64)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 32;
    }

    private static string Redact(string value) => value.Length <= 12 ? value : value[..12] + "...";

    [GeneratedRegex(@"AccountKey\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex AccountKey();

    [GeneratedRegex(@"SharedAccessSignature|SharedAccessKey\s*=|[?&]sig=[A-Za-z0-9%+/=]{10,}", RegexOptions.IgnoreCase)]
    private static partial Regex SharedAccessSignature();

    [GeneratedRegex(@"DefaultEndpointsProtocol\s*=|Password\s*=\s*[^;""'\s]+;|Pwd\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionString();

    [GeneratedRegex(@"InstrumentationKey\s*=\s*[0-9a-f]{8}-", RegexOptions.IgnoreCase)]
    private static partial Regex InstrumentationKey();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")]
    private static partial Regex Base64Key();

    // A name ending in password/secret/key (not ...Name, ...Uri, ...Id) given a non-empty literal:
    // "ClientSecret": "x", ClientSecret: 'x', param adminPassword string = 'x', EncryptionKey=x.
    [GeneratedRegex(
        @"(?<name>[A-Za-z0-9_]*(?:password|secret|pwd|encryptionkey|apikey|accesskey|clientkey))[""']?\s*(?:[:=]|string\s*=)\s*[""'](?!@Microsoft\.KeyVault\()(?<value>[^""'\s$][^""']*)[""']",
        RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignment();
}
