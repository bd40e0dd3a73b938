using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using TokenFunctions.Caching;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// The sealed layout every instance reads and writes (AES-256-GCM: 12-byte nonce, ciphertext, 16-byte
/// tag; the entry's Table address as associated data): entries already in the Table must keep opening
/// after the cipher's code changes, and an entry moved to another address must not.
/// </summary>
public sealed class CacheEntryCipherTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly CacheEntryKey Address = new("app-0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("""{"AccessToken":{}}""");

    private static CacheEntryCipher Cipher() => new(Options.Create(new TokenCacheOptions { EncryptionKey = Convert.ToBase64String(Key) }));

    private static byte[] AssociatedData(CacheEntryKey address) =>
        Encoding.UTF8.GetBytes($"tokenfunctions/cache/v1\n{address.PartitionKey}\n{address.RowKey}");

    [Fact]
    public void An_entry_sealed_in_the_v1_layout_opens()
    {
        var sealedEntry = new byte[12 + Plaintext.Length + 16];
        RandomNumberGenerator.Fill(sealedEntry.AsSpan(0, 12));
        using (var aes = new AesGcm(Key, 16))
        {
            aes.Encrypt(sealedEntry.AsSpan(0, 12), Plaintext, sealedEntry.AsSpan(12, Plaintext.Length), sealedEntry.AsSpan(12 + Plaintext.Length), AssociatedData(Address));
        }

        var cipher = Cipher();

        Assert.Equal(Plaintext, cipher.TryOpen(sealedEntry, cipher.CurrentKeyId, Address));
    }

    [Fact]
    public void A_sealed_entry_is_in_the_v1_layout()
    {
        var sealedEntry = Cipher().Seal(Plaintext, Address);

        var opened = new byte[Plaintext.Length];
        using var aes = new AesGcm(Key, 16);
        aes.Decrypt(sealedEntry.AsSpan(0, 12), sealedEntry.AsSpan(12, Plaintext.Length), sealedEntry.AsSpan(12 + Plaintext.Length), opened, AssociatedData(Address));
        Assert.Equal(Plaintext, opened);
    }

    [Fact]
    public void An_entry_copied_to_another_row_does_not_open()
    {
        var cipher = Cipher();
        var sealedEntry = cipher.Seal(Plaintext, Address);

        Assert.Null(cipher.TryOpen(sealedEntry, cipher.CurrentKeyId, Address with { RowKey = "throttle-" + Address.RowKey }));
        Assert.Null(cipher.TryOpen(sealedEntry, cipher.CurrentKeyId, Address with { PartitionKey = "app-ffffffffffffffffffffffffffffffff" }));
    }

    [Fact]
    public void An_address_too_long_for_the_stack_still_seals_and_opens()
    {
        var cipher = Cipher();
        var address = new CacheEntryKey(new string('p', 1000), "r\u00e9" + new string('r', 1000));

        Assert.Equal(Plaintext, cipher.TryOpen(cipher.Seal(Plaintext, address), cipher.CurrentKeyId, address));
    }
}
