using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

/// <summary>
/// Seals cache entries with AES-256-GCM. The entry's Table address is associated data, so an entry
/// copied to another row does not open; the key id travels with the entry so keys can rotate.
/// Layout: 12-byte nonce, ciphertext, 16-byte tag.
/// </summary>
public sealed class CacheEntryCipher
{
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int AssociatedDataOnStack = 256;

    private static ReadOnlySpan<byte> AssociatedDataPrefix => "tokenfunctions/cache/v1\n"u8;

    private readonly byte[] _currentKey;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public CacheEntryCipher(IOptions<TokenCacheOptions> options)
    {
        var settings = options.Value;
        // Blank is missing: whitespace decodes as base64 to no key at all. Development only; the validator ensures it.
        _currentKey = string.IsNullOrWhiteSpace(settings.EncryptionKey)
            ? RandomNumberGenerator.GetBytes(KeyBytes)
            : Convert.FromBase64String(settings.EncryptionKey);
        CurrentKeyId = KeyId(_currentKey);
        _keys[CurrentKeyId] = _currentKey;
        foreach (var previous in settings.PreviousEncryptionKeys)
        {
            var key = Convert.FromBase64String(previous);
            _keys.TryAdd(KeyId(key), key);
        }
    }

    /// <summary>A short, public fingerprint of the current key (not the key).</summary>
    public string CurrentKeyId { get; }

    public static bool IsValidKey(string base64)
    {
        Span<byte> buffer = stackalloc byte[KeyBytes + 3];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == KeyBytes;
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, CacheEntryKey address)
    {
        var sealedEntry = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = sealedEntry.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> onStack = stackalloc byte[AssociatedDataOnStack];
        using var aes = new AesGcm(_currentKey, TagBytes);
        aes.Encrypt(
            nonce,
            plaintext,
            sealedEntry.AsSpan(NonceBytes, plaintext.Length),
            sealedEntry.AsSpan(NonceBytes + plaintext.Length, TagBytes),
            AssociatedData(address, onStack));
        return sealedEntry;
    }

    /// <summary>The plaintext, or null when the entry was sealed for another address, with an unknown key, or was altered.</summary>
    public byte[]? TryOpen(ReadOnlySpan<byte> sealedEntry, string? keyId, CacheEntryKey address)
    {
        if (keyId is null || !_keys.TryGetValue(keyId, out var key) || sealedEntry.Length < NonceBytes + TagBytes)
        {
            return null;
        }

        var length = sealedEntry.Length - NonceBytes - TagBytes;
        var plaintext = new byte[length];
        Span<byte> onStack = stackalloc byte[AssociatedDataOnStack];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(
                sealedEntry[..NonceBytes],
                sealedEntry.Slice(NonceBytes, length),
                sealedEntry.Slice(NonceBytes + length, TagBytes),
                plaintext,
                AssociatedData(address, onStack));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <summary>
    /// The UTF-8 of "tokenfunctions/cache/v1\n{partition}\n{row}", in <paramref name="onStack"/> when it
    /// fits (the broker's own keys do): every open and seal needs it, and a new instance's first
    /// token opens one or two entries.
    /// </summary>
    private static ReadOnlySpan<byte> AssociatedData(CacheEntryKey address, Span<byte> onStack)
    {
        // The exact count, not GetMaxByteCount: three bytes a character would send every throttle row to the heap.
        var size = AssociatedDataPrefix.Length + Encoding.UTF8.GetByteCount(address.PartitionKey) + 1 + Encoding.UTF8.GetByteCount(address.RowKey);
        var data = size <= onStack.Length ? onStack : new byte[size];
        AssociatedDataPrefix.CopyTo(data);
        var length = AssociatedDataPrefix.Length;
        length += Encoding.UTF8.GetBytes(address.PartitionKey, data[length..]);
        data[length++] = (byte)'\n';
        length += Encoding.UTF8.GetBytes(address.RowKey, data[length..]);
        return data[..length];
    }

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 4));
}
