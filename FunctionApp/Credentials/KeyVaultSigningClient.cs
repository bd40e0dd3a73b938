using System.Buffers.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace TokenFunctions.Credentials;

/// <summary>
/// Key Vault's sign operation — <c>POST {kid}/sign?api-version=7.4</c> with <c>{"alg","value"}</c>, the
/// value being the base64url digest — and nothing else. It exists because Azure.Security.KeyVault.Keys,
/// whose <c>CryptographyClient.SignAsync</c> does exactly this, is not served by the package feed this
/// project builds from; it is shaped like that method (key id, algorithm, digest in; key id and signature
/// out), so the SDK's can replace it in one place. It runs on Azure.Core's pipeline as the SDK clients do:
/// the broker's credential, the vault's retries and the same pooled HttpClient as the certificate client.
/// The token's scope is the vault's resource (<c>https://vault.azure.net</c>, <c>https://managedhsm.azure.net</c>,
/// a sovereign cloud's): the vault's DNS suffix names it, so no unauthenticated round trip is spent on
/// the challenge that <c>CertificateClient</c> uses to discover it — that challenge adds only the tenant,
/// which a managed identity (the broker's credential in Azure) does not choose.
/// </summary>
public sealed class KeyVaultSigningClient
{
    public const string ApiVersion = "7.4";

    private readonly HttpPipeline _pipeline;

    public KeyVaultSigningClient(Uri vaultUri, TokenCredential credential, HttpPipelineTransport transport)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        VaultUri = vaultUri;
        var options = new SigningClientOptions { Transport = transport };
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        _pipeline = HttpPipelineBuilder.Build(
            options,
            perCallPolicies: [],
            perRetryPolicies: [new BearerTokenAuthenticationPolicy(credential, ScopeOf(vaultUri))],
            new ResponseClassifier());
    }

    public Uri VaultUri { get; }

    /// <summary>The vault's resource as a scope: its host without the vault's own name.</summary>
    public static string ScopeOf(Uri vaultUri) =>
        vaultUri.Host.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
            ? $"https://{vaultUri.Host[(dot + 1)..]}/.default"
            : throw new ArgumentException($"'{vaultUri}' is not a Key Vault or managed HSM URL.", nameof(vaultUri));

    /// <summary>Signs <paramref name="digest"/> with the key <paramref name="keyId"/> (a <c>/keys/{name}/{version}</c> URL of this vault).</summary>
    /// <exception cref="RequestFailedException">The vault refused or failed (Key Vault's <c>error.code</c> in <see cref="RequestFailedException.ErrorCode"/>).</exception>
    public async Task<KeyVaultSignature> SignAsync(Uri keyId, string algorithm, byte[] digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!string.Equals(keyId.Host, VaultUri.Host, StringComparison.OrdinalIgnoreCase) || keyId.Scheme != Uri.UriSchemeHttps)
        {
            // The vault's bearer token goes to this vault only.
            throw new ArgumentException($"Key '{keyId}' is not in vault {VaultUri.Host}.", nameof(keyId));
        }

        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(new Uri(keyId.AbsoluteUri.TrimEnd('/') + "/sign"));
        request.Uri.AppendQuery("api-version", ApiVersion);
        request.Headers.Add(HttpHeader.Common.JsonContentType);
        request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(
            new KeyVaultSignRequest(algorithm, Base64Url.EncodeToString(digest)), KeyVaultJsonContext.Default.KeyVaultSignRequest));

        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.IsError)
        {
            throw new RequestFailedException(response);
        }

        var result = JsonSerializer.Deserialize(response.Content.ToMemory().Span, KeyVaultJsonContext.Default.KeyVaultSignResult);
        if (result is not { Value.Length: > 0 })
        {
            throw new RequestFailedException(response.Status, "Key Vault answered the sign request without a signature.");
        }

        return new KeyVaultSignature(result.KeyId is { Length: > 0 } kid ? new Uri(kid) : keyId, algorithm, Base64Url.DecodeFromChars(result.Value));
    }

    private sealed class SigningClientOptions : ClientOptions;
}

/// <summary>What Key Vault's sign returned: which key version signed, with which algorithm, and the signature.</summary>
public sealed record KeyVaultSignature(Uri KeyId, string Algorithm, byte[] Signature);
